"""The pygame views that draw.py and train.py share.

    theme    colours, fonts and text
    tiles    28x28 arrays -> coloured image tiles (grey, heat, diverging), grids of tiles
    panels   a titled panel, a column of labelled bars
    chart    a chart of several series with axes, ticks and labels, into any Rect
    curves   the training curves (loss and accuracy) that train.py saves as a PNG
    canvas   the pad's 28x28 canvas: the soft brush and strokes (NumPy only)
    pad      the pad's window: its layout and one frame of it
    app      the pad's state and its events (mouse, keys, dropped files), as pure functions
    window   the pad's event loop in a window, and --screenshot
    inputs   the pad's model and image files, read and checked
    teaching the pad's network on the drawing: prediction, why (G), X-ray (B), teaching (0-9)
    xray     drawing the backprop views: the gradient (G) and the X-ray (B)
    lab      train.py --watch's window and the confusion-matrix picture of --evaluate
    playground          playground.py's window: its state, events, loop and --screenshot
    playground_model    the playground's network and training as plain values (no pygame)
    playground_draw     the playground's layout and one frame of it

Every drawing function draws into a surface (and a Rect of it) that it is given, with fonts
made once by theme.make_fonts(); none keeps state between calls.
"""
