"""ui: the pygame front end that draw.py and train.py share (fnn/ never imports pygame).

    theme    colours, fonts and text
    chart    a chart of several series with axes, ticks and labels, into any Rect
    curves   the training curves (loss and accuracy) that train.py saves as a PNG

Every drawing function draws into a surface (and a Rect of it) that it is given, with fonts
made once by theme.make_fonts(); none keeps state between calls.
"""
