"""train.py --evaluate: a saved model's report on a CSV, its predictions, and the picture of its
most confident mistakes (fnnapp.views.lab.errors_figure); with --watch the same picture, clickable.

It trains nothing and writes no model, so it is kept apart from the training run. Every problem
raises EvaluateError, one line naming the file or the option (train.py exits 2). pygame loads
only when the picture is drawn, after the report is printed.
"""
import os

import numpy as np

import fnn
import fnn.io.data
from fnn.io import files
from fnnapp.cli import paths
from fnnapp.cli.networks import describe
from fnn.analysis.report import confusion_matrix, format_report, percent


class EvaluateError(Exception):
    """A problem with --evaluate's model, test CSV or outputs: one line, exit code 2."""


def errors_png_for(model):
    """The --evaluate picture of a model file: models/run.npz -> models/run_errors.png."""
    return os.path.splitext(model)[0] + "_errors.png"


def evaluate(model_path, test, max_rows=None, predictions=None, errors_png=None, watch=False):
    """The report of the model file model_path on the CSV `test`: test accuracy, per-class
    accuracy and the confusion matrix, printed and drawn into errors_png (default
    errors_png_for(model_path)); `predictions`: write ImageId,Label for every row (labelled or
    not); watch: show the picture in a window until it is closed."""
    png = errors_png or errors_png_for(model_path)
    try:                                     # every output checked before anything is read
        declared = [files.declare(png, "errors_png", "--errors-png")]
        if predictions:
            declared.append(files.declare(predictions, "predictions", "--predictions"))
        outs = files.check(declared, inputs=[model_path, test])
        paths.check_input(model_path)
        paths.check_input(test)
    except (files.WriteError, paths.PathError) as e:
        raise EvaluateError(str(e)) from None
    try:
        params, layers, meta = fnn.load(model_path)
    except fnn.ModelFileError as e:
        raise EvaluateError(str(e)) from None
    name = meta.get("network", describe(layers))
    try:
        X, y = fnn.io.data.load_csv(test, max_rows=max_rows)
    except fnn.io.data.DataError as e:
        raise EvaluateError(f"--test: {e}") from None
    if y is None and not predictions:
        raise EvaluateError(f"{test}: has no label column, so there is nothing to score; "
                            f"add --predictions OUT.csv to write its predictions")
    probs = fnn.predict_proba(params, X, layers)
    print(f"model {model_path} ({name}) on {X.shape[1]:,} rows of {test}", flush=True)
    if predictions:
        write_predictions(outs[1], probs.argmax(axis=0))
    if y is None:
        return 0
    C = confusion_matrix(y, probs.argmax(axis=0))
    print(f"test accuracy {percent(float(np.trace(C) / C.sum()))} on {y.size} rows of {test}")
    for line in format_report(C):
        print(line)
    if not watch:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")   # a picture, no window
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame
    from fnnapp.views.lab import Results, errors_figure
    existed = os.path.exists(png)
    title = f"fnn {name} ({os.path.basename(model_path)}) on {test}"
    try:
        files.write(outs[0], lambda f: errors_figure(C, X, y, probs, title, file=f), suffix=".png")
    except files.WriteError as e:
        raise EvaluateError(str(e)) from None
    print(f"{'replaced' if existed else 'saved'} confusion matrix and mistakes {files.shown(png)}",
          flush=True)
    if watch:                                        # the same picture, clickable, until closed
        try:
            Results().run(C, X, y, probs, title)
        except KeyboardInterrupt:                    # Ctrl-C closes the view; nothing to save
            pass
        except pygame.error as e:
            raise EvaluateError(f"--watch: cannot open a window ({e})") from None
    return 0


def write_predictions(out, labels):
    """ImageId,Label (ImageId from 1), the CSV Kaggle's Digit Recognizer accepts, atomically to
    the checked output `out` (fnn.io.files, kind "predictions")."""
    text = "ImageId,Label\n" + "".join(f"{i},{c}\n" for i, c in enumerate(labels.tolist(), 1))
    existed = os.path.exists(out.path)
    try:
        files.write(out, lambda f: f.write(text.encode()), suffix=".csv")
    except files.WriteError as e:
        raise EvaluateError(str(e)) from None
    print(f"{'replaced' if existed else 'saved'} {labels.size:,} predictions {files.shown(out.path)}",
          flush=True)
