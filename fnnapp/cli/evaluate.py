"""train.py --evaluate: a saved model's report on a CSV, its predictions, and the picture of its
most confident mistakes (fnnapp.views.lab.errors_figure); with --watch the same picture, clickable.

It trains nothing and writes no model, so it is kept apart from the training run. Every problem
raises EvaluateError, one line naming the file or the option (train.py exits 2). pygame loads
only when the picture is drawn, after the report is printed.
"""
import os
import sys

import numpy as np

import fnn
import fnn.io.data
from fnn.io import files
from fnn.io.model_files import load_digit_model
from fnnapp.cli import interrupts, paths
from fnnapp.cli.run import PROG
from fnnapp.cli.networks import describe
from fnn.analysis.calibration import BINS, MIN_ROWS, ece, fit_temperature, model_temperature, scale
from fnn.analysis.report import confusion_matrix, format_report, percent


class EvaluateError(Exception):
    """A problem with --evaluate's model, test CSV or outputs: one line, exit code 2."""


def errors_png_for(model):
    """The --evaluate picture of a model file: models/run.npz -> models/run_errors.png, beside
    the model; data/mnist_mlp.npz -> models/mnist_mlp_errors.png (paths.beside_model)."""
    return paths.beside_model(model, "_errors.png")


def evaluate(model_path, test, max_rows=None, predictions=None, errors_png=None, watch=False):
    """The report of the model file model_path on the CSV `test`: test accuracy, per-class
    accuracy and the confusion matrix, printed and drawn into errors_png (default
    errors_png_for(model_path)); `predictions`: write ImageId,Label for every row (labelled or
    not); watch: show the picture in a window until it is closed. Ctrl-C or SIGTERM: one line
    saying which files were written already, and exit code 130 or 143 (returned)."""
    written = []
    try:
        return report(model_path, test, max_rows, predictions, errors_png, watch, written)
    except KeyboardInterrupt as stop:
        what = f"wrote {' and '.join(map(files.shown, written))}" if written else "nothing written"
        print(f"\n{PROG}: interrupted; {what}", file=sys.stderr)
        return interrupts.exit_code(stop)


def report(model_path, test, max_rows, predictions, errors_png, watch, written):
    """evaluate's work; `written` gets the path of each file once it is written."""
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
        params, layers, meta = load_digit_model(model_path)
    except fnn.ModelFileError as e:
        raise EvaluateError(str(e)) from None
    name = files.shown(str(meta.get("network", describe(layers))))    # drawn: any text the file holds
    try:
        with interrupts.exit_at_once(PROG, "loading the data"):
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
        written.append(predictions)
    if y is None:
        return 0
    C = confusion_matrix(y, probs.argmax(axis=0))
    print(f"test accuracy {percent(float(np.trace(C) / C.sum()))} on {y.size} rows of {test}")
    for line in format_report(C):
        print(line)
    T = model_temperature(meta)
    print(calibration_line(probs, y, T), flush=True)
    if not watch:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")   # a picture, no window
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame
    from fnnapp.views.lab import Results, errors_figure
    existed = os.path.exists(png)
    title = f"fnn {name} ({files.shown(os.path.basename(model_path))}) on {files.shown(test)}"
    try:
        files.write(outs[0], lambda f: errors_figure(C, X, y, probs, title, file=f,
                                                                temperature=T), suffix=".png")
    except files.WriteError as e:
        raise EvaluateError(str(e)) from None
    written.append(png)
    print(f"{'replaced' if existed else 'saved'} confusion matrix and mistakes {files.shown(png)}",
          flush=True)
    if watch:                                        # the same picture, clickable, until closed
        try:
            with interrupts.waking(lambda: pygame.event.post(pygame.event.Event(pygame.USEREVENT))):
                Results().run(C, X, y, probs, title)
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


def calibration_line(probs, y, T):
    """--evaluate's line on calibration: ECE of A[L] and of softmax(Z / T) with the model's T."""
    how = (f"with the model's temperature T = {T:.3g}" if T != 1.0 else
           "T = 1 (no temperature in the model: train.py --calibrate MODEL fits one)")
    return (f"calibration: expected calibration error (ECE, {BINS} bins) {percent(ece(probs, y))}; "
            f"{how}: {percent(ece(scale(probs, T), y))}")


def calibrate(model_path, sources, max_rows, val_split, seed):
    """train.py --calibrate MODEL: fit T on the validation rows of --train (held out as a run
    with the same --train, --val-split, --max-rows and --seed holds them out) and rewrite the
    model file atomically with meta["temperature"] = T; its weights are untouched."""
    from fnnapp.cli.sources import SplitError, load_training
    try:
        paths.check_input(model_path)
        params, layers, meta = load_digit_model(model_path)
        out = files.check_one(model_path, "model", "--calibrate", inputs=[path for path, _ in sources])
    except (paths.PathError, fnn.ModelFileError, files.WriteError) as e:
        raise EvaluateError(str(e)) from None
    if not val_split:
        raise EvaluateError("--calibrate fits the temperature on the validation rows: --val-split must be > 0")
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[1])      # run.train's split
    try:
        _, _, X_val, y_val = load_training(sources, max_rows, val_split, rng)
    except (fnn.io.data.DataError, SplitError) as e:
        raise EvaluateError(f"--train: {e}") from None
    if y_val.size < MIN_ROWS:
        raise EvaluateError(f"--calibrate: {y_val.size} validation rows, fewer than the {MIN_ROWS} a "
                            f"temperature needs; use more --max-rows or a larger --val-split")
    P = fnn.predict_proba(params, X_val, layers)
    T = fit_temperature(P, y_val)
    meta = {**meta, "temperature": T, "calibration": calibration_meta(y_val.size, sources)}
    try:
        fnn.save(out, params, layers, meta=meta)
    except files.WriteError as e:                  # names the file and the problem already
        raise EvaluateError(str(e)) from None
    except (OSError, ValueError) as e:
        raise EvaluateError(f"{model_path}: cannot rewrite the model ({e})") from None
    print(f"temperature T = {T:.3g} fitted on {y_val.size:,} validation rows; ECE there "
          f"{percent(ece(P, y_val))} -> {percent(ece(scale(P, T), y_val))}; saved in {model_path}")
    return 0


def calibration_meta(rows, sources):
    """What the model's meta says about where its temperature comes from."""
    from fnnapp.cli.sources import describe_sources
    return f"calibrated on {rows} validation rows of {describe_sources(sources)}"
