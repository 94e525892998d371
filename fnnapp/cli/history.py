"""A run's curve data as a CSV beside its model: one row an iteration, readable by pandas.

    iteration,epoch,loss,acc,lr,val_acc
    1,1,2.3512,0.0938,0.002,
    ...
    422,1,0.2207,0.9297,0.00195,0.9570        val_acc on the last iteration of each epoch

    curves = fnnapp.cli.history.read("models/mnist_mlp.csv")     # a pandas DataFrame
    curves.dropna(subset=["val_acc"])                     # the validation points

Two runs with the same seed start from the same weights and see the same batches, so their
curves differ only by the option that differs: a fair comparison (train.py --watch --compare).
"""
import os

import numpy as np

from fnn.io import files
from fnnapp.cli.paths import PathError, check_input

COLUMNS = ("iteration", "epoch", "loss", "acc", "lr", "val_acc")
MAX_BYTES = 256 << 20         # a curve CSV read back: ~5 million iterations' rows at most


def path_for(model):
    """The curve CSV of a model file: models/run.npz -> models/run.csv."""
    return os.path.splitext(os.fspath(model))[0] + ".csv"


def table(history):
    """The rows of history {"iteration", "epoch", "loss", "acc", "lr": lists, one entry a step;
    "val": [(iteration, val_acc), ...] one an epoch} as a DataFrame of COLUMNS; val_acc is NaN
    except on the iteration each validation point belongs to."""
    import pandas as pd           # here, not at the top: train.py --help does not load pandas
    frame = pd.DataFrame({k: history[k] for k in COLUMNS[:-1]})
    frame["val_acc"] = np.nan
    if len(history["val"]) and len(frame):
        at, acc = zip(*history["val"])
        frame.loc[frame["iteration"].isin(at), "val_acc"] = \
            frame["iteration"].map(dict(zip(at, acc)))
    return frame


def write(out, history):
    """Write table(history) to the checked output `out` (fnn.io.files, kind "curve_csv")
    atomically (a crash leaves an old file whole)."""
    text = table(history).to_csv(index=False, float_format="%.6g")
    return files.write(out, lambda f: f.write(text.encode()), suffix=".csv")


def read(path):
    """The DataFrame of a curve CSV; ValueError (one line, naming the file) when it is not one,
    is not a regular file, or is larger than MAX_BYTES (read whole, so its size is bounded)."""
    import pandas as pd
    try:
        check_input(path)
        if os.path.getsize(path) > MAX_BYTES:
            raise ValueError(f"{path}: larger than {MAX_BYTES >> 20} MiB, not a curve CSV")
        frame = pd.read_csv(path)
    except PathError as e:
        raise ValueError(str(e)) from None
    except (OSError, UnicodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise ValueError(f"{path}: cannot read the curve CSV ({e})") from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing or not len(frame):
        raise ValueError(f"{path}: not a curve CSV (needs the columns {', '.join(COLUMNS)} "
                         f"and at least one row)")
    if not all(np.issubdtype(frame[c].dtype, np.number) for c in COLUMNS):
        raise ValueError(f"{path}: not a curve CSV (a column holds text, not numbers)")
    return frame
