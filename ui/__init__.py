"""ui: the front end that draw.py and train.py share: their windows and pictures (pygame), and
the command lines' checks on paths, runs and memory (fnn/, the math, never imports ui/ or pygame).

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
    evaluate train.py --evaluate: a saved model's report, predictions CSV and picture

Without pygame (the command lines' runs, files and checks):

    run          one training run of train.py: checks, data, fit with logging, report, files
                 (pygame loads only to draw the curve PNG and the --watch window)
    options      the one-line-error option parser and its value types
    networks     the networks train.py trains by name (--arch), a network's short name
    interrupts   Ctrl-C and SIGTERM: exit codes 130 and 143, and never a half-written file
    paths        what an input or output path may be, checked before any work
    image_header an image's size read from its header, before pygame decodes it
    memory       the bytes a training run needs, known before it allocates them
    progress     when a run is failing without a NaN, and which rate to try instead
    sources      train.py's --train FILE[:K] files: loading, the validation split
    history      a run's curve data as a CSV beside its model (--watch --compare reads it)

Every drawing function draws into a surface (and a Rect of it) that it is given, with fonts
made once by theme.make_fonts(); none keeps state between calls.
"""
