"""Which training digits does the network think this looks like? The k nearest training digits
in the network's last hidden layer, by cosine distance: the data behind a decision.

    F = features(params, X, layers)          # A[L-1] (d, m): the input of the output layer
    idx, dist = search(unit(bank), F, k)     # the k nearest rows of a bank (n, d) per column

    dist(a, b) = 1 - a.b / (||a|| ||b||)

The bank is the training CSV's features, computed once and cached beside the model
(load_cache, save_cache, build): an .npz keyed by the model's hash and the CSV's checksum,
opened with allow_pickle=False, written through fnn.io.files (never over a file that is not
such a cache).
docs/math.md section 9.
"""
import hashlib
import json
import os
import zipfile

import numpy as np

from fnn.io import files
from fnn.network import forward

FORMAT, VERSION = "fnn-nearest", 1
HEADER = "__fnn_cache__"          # the first member: fnn.io.files tells an fnn cache by it
KEYS = {HEADER, "features", "labels", "images", "d_max"}
BATCH = 1000                     # columns a forward pass while building the bank
SAMPLE = 1000                    # training digits whose nearest other digit sets d_max
# The "that does not look like a digit" rule (doubt); docs/why.md measures its false alarms
# and hits (benchmarks/explain_figures.py).
MIN_INK = 20                     # pixels of ink on the 28x28 drawing (above INK_THRESHOLD)
P_MIN = 0.5                      # the calibrated probability of the answer
MAX_BANK_BYTES = 2 ** 28         # the most a cache's arrays may take once read: 256 MiB, 4x the
#                                  bank of MNIST's 60,000 training digits under a 128-unit layer


class CacheError(ValueError):
    """A nearest-digits cache that cannot be used or written: one line naming the file."""


def features(params, X, layers=None, batch=BATCH):
    """A[L-1] (d, m): what the output layer Z[L] = W[L] A[L-1] + b[L] reads, for X (n0, m),
    computed `batch` columns at a time (memory bounded by one batch's forward pass)."""
    parts = []
    for j in range(0, X.shape[1], batch):
        _, cache = forward(params, X[:, j:j + batch], layers)
        parts.append(cache["A"][-2].reshape(-1, min(batch, X.shape[1] - j)))     # A[L-1]
    return np.concatenate(parts, axis=1)


def unit(F, axis=-1):
    """F scaled to unit length along `axis` (a zero vector stays zero), in float32."""
    F = np.asarray(F, np.float32)
    n = np.linalg.norm(F, axis=axis, keepdims=True)
    return F / np.where(n > 0, n, 1)


def search(bank, Q, k=8):
    """The k nearest rows of bank (n, d), unit rows, to each column of Q (d, m) by cosine
    distance 1 - cos: -> (idx (k, m) nearest first, dist (k, m)). One product unit(Q).T @ bank.T."""
    S = unit(Q, axis=0).T @ np.asarray(bank, np.float32).T              # cosines (m, n)
    k = min(k, S.shape[1])
    top = np.argpartition(-S, k - 1, axis=1)[:, :k]                     # the k largest, unordered
    order = np.argsort(-np.take_along_axis(S, top, axis=1), axis=1, kind="stable")
    idx = np.take_along_axis(top, order, axis=1)
    return idx.T, 1.0 - np.take_along_axis(S, idx, axis=1).T


def params_hash(params):
    """sha256 of the params (names, dtypes, shapes and bytes, in name order): changes with
    every weight, so a taught model gets its own bank."""
    h = hashlib.sha256()
    for key in sorted(params):
        a = np.ascontiguousarray(params[key])
        h.update(f"{key}:{a.dtype.str}:{a.shape};".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def file_hash(path, piece=1 << 20):
    """sha256 of a file's bytes, read a MiB at a time."""
    special = files.special_kind(os.stat(path).st_mode)
    if special is not None:                              # reading a FIFO would never end
        raise CacheError(f"{files.shown(path)}: is {special}, not a CSV of digits")
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(piece):
            h.update(block)
    return h.hexdigest()


ENDING = ".nearest.npz"           # a model's bank is cached as models/run.nearest.npz



def build(params, layers, X, y, seed=0):
    """The bank of training digits X (784, n), labels y (n,): {"features": unit A[L-1] rows
    (n, d) float16, "labels": (n,) uint8, "images": (n, 784) uint8 pixels, "d_max": the 99th
    percentile of the distance from SAMPLE of its digits to their nearest other one}."""
    F = unit(features(params, X, layers).T).astype(np.float16)
    rows = np.random.default_rng(seed).choice(len(F), min(SAMPLE, len(F)), replace=False)
    _, d = search(F.astype(np.float32), F[rows].T.astype(np.float32), 2)
    return {"features": F, "labels": np.asarray(y, np.uint8),
            "images": np.round(np.asarray(X).T * 255).astype(np.uint8),
            "d_max": np.array(np.percentile(d[-1], 99), np.float32)}


def doubt(ink, p_max, d_near=None, d_max=None):
    """Why a drawing does not look like a digit, or None when it does: fewer than MIN_INK
    pixels of ink; a calibrated p_max below P_MIN; or (with a bank) its nearest training digit
    farther than the bank's d_max."""
    if ink < MIN_INK:
        return "too little ink"
    if p_max < P_MIN:
        return f"no digit above {P_MIN:.0%}"
    if d_near is not None and d_max is not None and d_near > d_max:
        return "unlike every training digit"
    return None


def load_cache(path, model_hash, csv_hash):
    """The bank in the cache file `path` when it was built for this model and CSV; None when
    there is no file or it was built for another model or CSV (stale: save_cache may replace
    it). CacheError when the file is not a readable nearest-digits cache (corrupt or foreign)."""
    if not os.path.exists(path):
        return None
    header, _ = _read(path, arrays=False)
    if header.get("model") != model_hash or header.get("csv") != csv_hash:
        return None
    return _read(path, arrays=True)[1]


def save_cache(path, bank, model_hash, csv_hash, csv_name):
    """Write the bank to `path` through fnn.io.files (checked, atomic), keyed by the model's and
    the CSV's hashes. CacheError (one line), nothing written, when `path` holds anything but a
    nearest-digits cache or cannot be written."""
    try:
        out = files.check_one(path, "cache")
        if os.path.exists(path) and files.holds(path) == "cache":
            _read(path, arrays=False)                   # another fnn cache is not ours to replace
        header = json.dumps({"format": FORMAT, "version": VERSION, "model": model_hash,
                             "csv": csv_hash, "csv_name": os.path.basename(csv_name),
                             "rows": int(bank["labels"].size), "dim": int(bank["features"].shape[1])})
        files.write(out, lambda f: np.savez_compressed(f, **{HEADER: np.array(header)}, **bank),
                    suffix=".npz")
    except files.WriteError as e:
        raise CacheError(str(e)) from None
    return path


def _read(path, arrays):
    """(header, bank or None) of a cache file, every key, dtype and shape checked."""
    bad = f"{files.shown(path)}: not a nearest-digits cache of fnn"
    special = files.special_kind(os.stat(path).st_mode)
    if special is not None:                              # np.load would wait on a FIFO forever
        raise CacheError(f"{files.shown(path)}: is {special}, not a nearest-digits cache; "
                         f"move it away and press N again")
    try:
        with np.load(path, allow_pickle=False) as z:
            if set(z.files) != KEYS:
                raise CacheError(f"{bad} (it holds {', '.join(sorted(z.files)[:5]) or 'nothing'}); "
                                 f"move it away and press N again")
            header = json.loads(str(z[HEADER]))
            if not (isinstance(header, dict) and header.get("format") == FORMAT
                    and header.get("version") == VERSION):
                raise CacheError(f"{bad} (another format or version); move it away and press N again")
            if not arrays:
                return header, None
            _check_declared(path, header, {key: _declared(z, key) for key in KEYS - {HEADER}})
            bank = {key: z[key] for key in KEYS - {HEADER}}
    except CacheError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, TypeError) as e:
        raise CacheError(f"{bad} or a damaged one ({type(e).__name__}); move it away to rebuild it") from None
    n, d = header.get("rows"), header.get("dim")
    if not (bank["features"].shape == (n, d) and bank["features"].dtype == np.float16
            and bank["labels"].shape == (n,) and bank["labels"].dtype == np.uint8
            and bank["images"].shape == (n, 784) and bank["images"].dtype == np.uint8
            and int(bank["labels"].max(initial=0)) < 10 and bank["d_max"].shape == ()):
        raise CacheError(f"{files.shown(path)}: a damaged nearest-digits cache (arrays do not match its header); "
                         f"move it away to rebuild it")
    return header, bank


def _declared(z, key):
    """(shape, dtype) that member key.npy of the open .npz z declares in its .npy header, read
    without its data."""
    with z.zip.open(key + ".npy") as f:
        version = np.lib.format.read_magic(f)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(f)
    return shape, dtype


def _check_declared(path, header, declared):
    """CacheError unless the arrays' .npy headers match the cache's header (rows n, dim d) and
    take at most MAX_BANK_BYTES together: checked before any array is read, so a few KB of
    zeros cannot inflate to gigabytes."""
    n, d = header.get("rows"), header.get("dim")
    want = {"features": ((n, d), np.float16), "labels": ((n,), np.uint8),
            "images": ((n, 784), np.uint8), "d_max": ((), np.float32)}
    if not (isinstance(n, int) and isinstance(d, int) and n > 0 and d > 0
            and all(declared[k][0] == shape and declared[k][1] == dtype for k, (shape, dtype) in want.items())):
        raise CacheError(f"{files.shown(path)}: a damaged nearest-digits cache (arrays do not match "
                         f"its header); move it away to rebuild it")
    if n * (2 * d + 785) > MAX_BANK_BYTES:
        raise CacheError(f"{files.shown(path)}: a nearest-digits cache of {n:,} digits x {d:,} "
                         f"features, more than the {MAX_BANK_BYTES >> 20} MiB a cache may take; "
                         f"move it away")
