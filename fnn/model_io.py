"""Model files: the params dict and the layer list in one .npz, safe to open.

A model file is a NumPy .npz holding
    W1, b1, W2, b2, ...   the arrays of the params dict, as they are;
    __fnn__               one JSON string: {"format": "fnn-model", "version": 1,
                          "layers": [...], "meta": {...}}
Nothing in it is a pickled object, and `load` opens it with allow_pickle=False, so a
model file from anywhere can never run code. `save` writes through `atomic_write`: a temporary
file in the same folder, renamed over the target (os.replace is atomic), so a crash or Ctrl-C in
the middle of a save leaves the old model intact. train.py writes its curve PNG the same way.
"""
import json
import os
import zipfile

import numpy as np

from fnn import layers as L
from fnn.files import atomic_write  # noqa: F401  (fnn.model_io.atomic_write, as before)
from fnn.layers import as_layers

FORMAT, VERSION = "fnn-model", 1
HEADER = "__fnn__"


class ModelFileError(ValueError):
    """A model file that cannot be used. str(error) is one line: the file and the problem."""


def save(path, params, layers=None, meta=None):
    """Write params (and the network they belong to) to `path` atomically.

    layers: as for fnn.forward (a layer list, dense sizes, or None for the dense relu/softmax
        network params describe).
    meta: optional plain data (str, numbers, lists, dicts) stored with the model, e.g.
        the test accuracy and the command that trained it.
    Refuses (ValueError) to write weights that contain NaN or inf.
    """
    path = os.fspath(path)
    net = as_layers(layers, params)
    _check_arrays(path, params, net)
    header = json.dumps({"format": FORMAT, "version": VERSION, "layers": net, "meta": meta or {}})
    return atomic_write(path, lambda f: np.savez(f, **{HEADER: np.array(header)}, **params),
                        suffix=".npz")


def load(path):
    """Read a model file -> (params, layers, meta). Raises ModelFileError, one line naming the
    file and the problem, for a missing, truncated, non-npz or inconsistent file."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ModelFileError(f"{path}: no such model file")
    if os.path.isdir(path):
        raise ModelFileError(f"{path}: is a folder, not a model file")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:1] == b"\x80":
        raise ModelFileError(f"{path}: holds pickled Python objects, which fnn never loads "
                             f"(a model file must not be able to run code)")
    if magic[:2] != b"PK":
        what = "an empty file" if not magic else "not a zip archive"
        raise ModelFileError(f"{path}: not a readable .npz model file ({what})")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except ValueError as e:  # object arrays inside the zip
        if "pickle" in str(e):
            raise ModelFileError(f"{path}: holds pickled Python objects, which fnn never loads "
                                 f"(a model file must not be able to run code)") from None
        raise ModelFileError(f"{path}: not a readable .npz model file ({e})") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise ModelFileError(f"{path}: not a readable .npz model file, truncated or corrupt "
                             f"({type(e).__name__}: {e})") from None
    if HEADER not in arrays:
        raise ModelFileError(f"{path}: not an fnn model (no {HEADER} header; save models with fnn.save)")
    try:
        header = json.loads(str(arrays.pop(HEADER)))
    except ValueError:
        header = None
    if not (isinstance(header, dict) and header.get("format") == FORMAT):
        raise ModelFileError(f"{path}: the {HEADER} header is not an fnn model header")
    if header.get("version") != VERSION:
        raise ModelFileError(f"{path}: model format version {header.get('version')!r}; "
                             f"this fnn reads version {VERSION}")
    try:
        net = L.normalize(header["layers"])
    except (ValueError, KeyError, TypeError) as e:
        raise ModelFileError(f"{path}: the layer list in the header is invalid: {e}") from None
    _check_arrays(path, arrays, net, error=ModelFileError)
    return arrays, net, header.get("meta", {})


def _check_arrays(path, params, net, error=ValueError):
    """Every array the layer list needs is there, float, finite and of the right shape; nothing else is."""
    try:
        expected = L.param_shapes(net)
    except ValueError as e:
        raise error(f"{path}: the layer list does not fit together: {e}") from None
    for key, shape in expected.items():
        if key not in params:
            raise error(f"{path}: missing array {key!r} (the layers need {', '.join(expected)})")
        a = params[key]
        if not np.issubdtype(np.asarray(a).dtype, np.floating):
            raise error(f"{path}: array {key!r} has dtype {np.asarray(a).dtype}, expected float32 or float64")
        if tuple(a.shape) != tuple(shape):
            raise error(f"{path}: array {key!r} has shape {tuple(a.shape)}, the layers need {tuple(shape)}")
        if not np.isfinite(a).all():
            raise error(f"{path}: array {key!r} contains NaN or inf")
    extra = sorted(set(params) - set(expected))
    if extra:
        raise error(f"{path}: unexpected array(s) {', '.join(map(repr, extra))} for these layers")
