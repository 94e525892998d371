"""Teaching the network your handwriting: a few gradient steps on one drawing, and the file
that keeps your labelled drawings.

    new = teach(params, layers, x, 7, X_replay, y_replay, np.random.default_rng(0))
    # undo: keep using `params` (teach returns a new dict and never changes the old one)
    append_digit("models/my_digits.csv", x, 7)      # one row: label + 784 pixels 0-255
    C = score_digits(params, layers, "models/my_digits.csv")   # confusion matrix on that set

The handwriting file is the shipped MNIST CSV layout (header label,1x1,...,28x28), so
fnn.io.data.load_csv, train.py --train and draw.py --digits all read it.
"""
import os

import numpy as np

from fnn.io.data import MAX_PIXEL, NUM_CLASSES, NUM_PIXELS, DataError, load_csv
from fnn.io import files
from fnn.network import predict
from fnn.optimizers import sgd_update
from fnn.analysis.report import confusion_matrix
from fnn.training import train_step

# One teaching: STEPS plain gradient steps at rate LR on a batch of COPIES copies of the
# drawing and REPLAY training digits drawn afresh each step, so the drawing weighs
# COPIES / (COPIES + REPLAY) = 1/16 of the batch loss (docs/math.md, section 8).
STEPS, LR, COPIES, REPLAY = 10, 0.01, 4, 60
HEADER = ",".join(["label"] + [f"{i}x{j}" for i in range(1, 29) for j in range(1, 29)])
MAX_BYTES = 64 << 20             # a handwriting file larger than this is refused (~30,000 digits)


def teach(params, layers, x, label, X_replay, y_replay, rng, steps=STEPS, lr=LR,
          copies=COPIES, replay=REPLAY):
    """New params after `steps` steps of gradient descent, each on the batch

        Xb = [x repeated `copies` times | `replay` columns of X_replay drawn by rng]
        J  = (copies/b) L(x, label) + (1/b) sum L(replay),   theta := theta - lr d_theta

    x: the drawing as the network sees it (n0,) in [0, 1]; label: what it really is.
    X_replay (n0, n), y_replay (n,): training digits (MNIST), so the network keeps them.
    rng: np.random.Generator for the replay draws. params is not modified (undo = keep it)."""
    x = np.asarray(x, dtype=params["W1"].dtype).reshape(-1, 1)
    k = min(replay, y_replay.size)
    for _ in range(steps):
        idx = rng.choice(y_replay.size, k, replace=False)
        Xb = np.concatenate([np.repeat(x, copies, axis=1), X_replay[:, idx]], axis=1)
        yb = np.concatenate([np.full(copies, int(label)), y_replay[idx]])
        params, _, _, _ = train_step(params, {}, Xb, yb, layers, sgd_update, lr)
    return params


def digit_row(image, label):
    """One CSV line (no newline): label, then the 784 pixels round(255 x), row by row."""
    x = np.asarray(image, dtype=np.float64).reshape(-1)
    if x.size != NUM_PIXELS or not np.isfinite(x).all():
        raise ValueError(f"a digit is {NUM_PIXELS} finite pixels, got {x.size}")
    if int(label) != label or not 0 <= label < NUM_CLASSES:
        raise ValueError(f"a label is a digit 0-9, got {label!r}")
    pixels = np.rint(np.clip(x, 0.0, 1.0) * MAX_PIXEL).astype(np.int64)
    return ",".join([str(int(label))] + pixels.astype(str).tolist())


def append_digit(path, image, label):
    """Add one labelled digit to the handwriting CSV at `path` (created with the MNIST header
    if missing), atomically: the old rows plus the new one go to a temporary file that
    replaces `path` (fnn.io.files.write, a "digits" output), so an interruption at any moment leaves
    either the old file or the new one, never a torn row. -> the number of digits now in it.
    Raises DataError (one line) for a path that is not such a file."""
    path = os.fspath(path)
    row = digit_row(image, label)
    old = _read_existing(path)
    if old and not old.endswith(b"\n"):
        old += b"\n"
    new = (old or (HEADER + "\n").encode()) + row.encode() + b"\n"
    try:
        files.write(files.check_one(path, "digits"), lambda f: f.write(new), suffix=".csv")
    except files.WriteError as e:
        raise DataError(str(e)) from None
    return new.count(b"\n") - 1


def _read_existing(path):
    """The bytes of an existing handwriting CSV, b"" when there is none; DataError when `path`
    is something else (a folder, a compressed file, another header, too large)."""
    if not os.path.exists(path):
        return b""
    if not os.path.isfile(path):
        raise DataError(f"{path}: not a regular file")
    if os.path.splitext(path)[1].lower() != ".csv":
        raise DataError(f"{path}: a handwriting file is a plain .csv")
    if os.path.getsize(path) > MAX_BYTES:
        raise DataError(f"{path}: larger than {MAX_BYTES >> 20} MiB; start a new file")
    with open(path, "rb") as f:
        data = f.read()
    if data and data.split(b"\n", 1)[0].strip() != HEADER.encode():
        raise DataError(f"{path}: not a handwriting CSV (the first line is not the MNIST "
                        f"header label,1x1,...,28x28); refusing to append to it")
    return data


def score_digits(params, layers, path):
    """The confusion matrix (10, 10) of the network on the labelled digits of a CSV (any
    layout fnn.io.data.load_csv reads). Raises DataError for a bad or unlabelled file."""
    X, y = load_csv(path, labels=True)
    return confusion_matrix(y, predict(params, X, layers))
