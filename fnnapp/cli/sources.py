"""A training set made of several labelled CSVs: each file split into training and validation
rows, and the training rows of FILE:K counted K times an epoch.

    X_train, y_train, X_val, y_val = load_training([("data/mnist_train.csv.gz", 1),
                                                    ("models/my_digits.csv", 20)], None, 0.1, rng)

Each file is split on its own, so a small file of the user's digits gets its share of the
validation rows instead of none; and 60,000 MNIST rows are never held twice while splitting.
"""
import numpy as np

from fnn.io.data import NUM_PIXELS, DataError, load_csv
from fnnapp.cli import memory

SPLIT_BLOCK = 4096      # rows split() moves at a time: 4096 x 784 float32 = 12.8 MB of temporary


class SplitError(ValueError):
    """A hold-out fraction that leaves a file no training rows."""


def describe_sources(sources):
    """[(FILE, K), ...] as text: "data/mnist_train.csv.gz + models/my_digits.csv x20"."""
    return " + ".join(path if k == 1 else f"{path} x{k}" for path, k in sources)


def load_training(sources, max_rows, frac, rng):
    """The training and validation sets of [(FILE, K), ...]: (X_train, y_train, X_val, y_val).
    Each file is split by `split` (the same fraction held out of each), then the training rows
    of FILE:K are repeated K times. One file without a repeat is split in place, no copy.
    Raises fnn.io.data.DataError for a bad file, for repeats K that would not fit in memory
    (check_repeats) and for training rows of one label only; SplitError when a file has no
    training rows left."""
    parts = [split(*load_csv(path, max_rows=max_rows, labels=True), frac, rng) + (k,)
             for path, k in sources]
    check_repeats(sources, [y.size for _, y, _, _, _ in parts])
    labels = np.unique(np.concatenate([y for _, y, _, _, _ in parts]))
    if labels.size < 2:
        raise DataError(f"{describe_sources(sources)}: every training row is labelled "
                        f"{labels[0] if labels.size else '(none)'}; a classifier needs rows of at "
                        f"least two digits")
    if len(parts) == 1 and parts[0][4] == 1:
        return parts[0][:4]
    rows = [X.T for X, _, _, _, k in parts for _ in range(k)]          # one example a row
    X_train = np.concatenate(rows).T
    y_train = np.concatenate([y for _, y, _, _, k in parts for _ in range(k)])
    return (X_train, y_train, np.concatenate([X for _, _, X, _, _ in parts], axis=1),
            np.concatenate([y for _, _, _, y, _ in parts]))


def check_repeats(sources, rows, available=None):
    """DataError (one line) when the training rows of [(FILE, K), ...], rows[i] of FILE i, each
    held K times, take more memory than this machine has (fnnapp.cli.memory), before the
    copies are made: a 7.7 KB file with K = 10^9 asks for terabytes."""
    have = memory.available_bytes() if available is None else available
    need = sum(memory.data_bytes(n * k, NUM_PIXELS) for n, (_, k) in zip(rows, sources))
    if have is not None and need > have:
        path, k = max(sources, key=lambda s: s[1])
        raise DataError(f"{path}:{k}: the training rows repeated as asked take about "
                        f"{memory.human(need)}, and this machine has {memory.human(have)} "
                        f"available; choose a smaller K")


def split(X, y, frac, rng):
    """A random hold-out: (X_train, y_train, X_val, y_val) with round(frac m) validation columns
    (at least one when frac > 0), each part in the original column order. X is consumed: when
    X.T is C-contiguous (one example per row, as fnn.io.data.load_csv stores it), X_train reuses
    its memory and X's contents are overwritten. SplitError when no training column is left.

    The validation columns are copied out, then the training rows tr (sorted) are moved to
    the front, rows[i] = rows[tr[i]], in blocks of SPLIT_BLOCK, so the training set is never
    held twice. A block gathers its rows before writing rows i .. i+B-1, and every later block
    reads rows tr[j] >= j >= i+B, so no row is overwritten before it is read. X_train is a view
    of the first rows, which fit trains from without a copy."""
    m = y.shape[0]
    n_val = int(round(frac * m))
    if frac and n_val == 0:
        n_val = 1
    if n_val >= m:
        raise SplitError(f"{frac:g} leaves no training rows out of {m}")
    perm = rng.permutation(m)
    tr, va = np.sort(perm[n_val:]), np.sort(perm[:n_val])
    rows = X.T if X.T.flags.c_contiguous else np.ascontiguousarray(X.T)
    X_val = rows[va].T                                            # a new array
    for i in range(0, tr.size, SPLIT_BLOCK):
        block = tr[i:i + SPLIT_BLOCK]
        rows[i:i + block.size] = rows[block]                    # gathered first, then written
    return rows[:tr.size].T, y[tr], X_val, y[va]
