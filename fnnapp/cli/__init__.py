"""The command lines' plumbing, without pygame (it loads only to draw a PNG or a window).

    run          one training run of train.py: checks, data, fit with logging, report, files
    evaluate     train.py --evaluate: a saved model's report, predictions CSV and picture
    options      the one-line-error option parser and its value types
    networks     the networks train.py trains by name (--arch), a network's short name
    interrupts   Ctrl-C and SIGTERM: exit codes 130 and 143, and never a half-written file
    paths        what an input or output path may be, checked before any work
    image_header an image's size read from its header, before pygame decodes it
    memory       the bytes a training run needs, known before it allocates them
    progress     when a run is failing without a NaN, and which rate to try instead
    sources      train.py's --train FILE[:K] files: loading, the validation split
    history      a run's curve data as a CSV beside its model (--watch --compare reads it)
    impl         --impl FILE: the learner's own four functions (exercises/network.py) train and read
"""
