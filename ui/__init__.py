"""ui: the pygame front end that draw.py and train.py share (fnn/ never imports pygame).

    theme    colours, fonts and text
    tiles    28x28 arrays -> coloured image tiles (grey, heat, diverging), grids of tiles
    panels   a titled panel, a column of labelled bars
    chart    a chart of several series with axes, ticks and labels, into any Rect
    curves   the training curves (loss and accuracy) that train.py saves as a PNG
    canvas   the pad's 28x28 canvas: the soft brush and drawing the canvas
    pad      the pad's window: its layout and one frame of it
    teaching the pad's network on the drawing: prediction, why (G), X-ray (B), teaching (0-9)
    lab      train.py --watch's window and the confusion-matrix picture of --evaluate
    evaluate train.py --evaluate: a saved model's report, predictions CSV and picture

Every drawing function draws into a surface (and a Rect of it) that it is given, with fonts
made once by theme.make_fonts(); none keeps state between calls.
"""
