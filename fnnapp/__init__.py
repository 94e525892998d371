"""fnnapp: the front end that draw.py and train.py share, in two packages.

    fnnapp.views  the windows and pictures (pygame): the pad, the training lab, the X-ray,
                  charts and tiles
    fnnapp.cli    the command lines' plumbing (no pygame): one training run, --evaluate,
                  options, path checks, interrupts, memory estimates, curve files

fnn, the math, never imports fnnapp or pygame; fnnapp only calls fnn.
"""
