"""Model files: the params dict and the layer list in one .npz, safe to open.

A model file is a NumPy .npz holding
    W1, b1, W2, b2, ...   the arrays of the params dict, as they are;
    __fnn__               one JSON string: {"format": "fnn-model", "version": 1,
                          "layers": [...], "meta": {...}}
Nothing in it is a pickled object, and `load` opens it with allow_pickle=False, so a
model file from anywhere can never run code. `save` writes through fnn.io.files, the door of every
file fnn writes: it replaces only a model file (a zip whose first member is __fnn__.npy), and
writes a temporary file in the same folder renamed over the target (os.replace is atomic), so a
crash or Ctrl-C in the middle of a save leaves the old model intact.

`load` trusts nothing in the file, so that a few KB cannot make it take gigabytes: one read of
the file asks for at most MAX_READ bytes (the zip directory included); the members must be
exactly __fnn__.npy and the arrays the layer list needs; the JSON header is bounded in length
and nesting and every field of its layer list is checked (fnn.layers.check_layers); the network
it describes is bounded (MAX_PARAMS, MAX_EXAMPLE_NUMBERS, MAX_WINDOW_OFFSETS); each .npy header
is checked against the layers before its data is read, and the data is read in pieces into an
array of exactly that size, so a member that inflates beyond what it declares is cut there.
`save` refuses to write what `load` would refuse.
"""
import io
import json
import math
import os
import re
import stat
import struct
import zipfile
import zlib

import numpy as np

from fnn import layers as L
from fnn.io import files
from fnn.layers import as_layers, parameter_count

FORMAT, VERSION = "fnn-model", 1
HEADER = "__fnn__"

# The most a model file may describe, checked from its layer list before any array is read.
MAX_PARAMS = 2 ** 26               # weights: 67M, so loading takes at most 256 MiB in float32
#                                    (512 MiB in float64); 285x the shipped MLP's 235,146
MAX_EXAMPLE_NUMBERS = 2 ** 24      # the largest array one example's forward pass builds: 16.8M
#                                    numbers, 64 MiB in float32; 594x the shipped CNN's 28,224
MAX_WINDOW_OFFSETS = 2 ** 14       # k*k summed over conv and max-pool layers: each offset is one
#                                    Python-level step of a pass; 630x the shipped CNN's 26
MAX_HEADER_CHARS = 2 ** 16         # the __fnn__ JSON text; the shipped CNN's has 941 characters
MAX_JSON_DEPTH = 32                # nesting of lists and objects in it (a layer list needs 3)
MAX_READ = 2 ** 20                 # the most bytes one read of the file asks for
_PIECE = 2 ** 16                   # arrays are read (and inflated) this many bytes at a time


class ModelFileError(ValueError):
    """A model file that cannot be used. str(error) is one line: the file and the problem."""


def save(path, params, layers=None, meta=None):
    """Write params (and the network they belong to) to `path` atomically.

    path: a file name (checked by fnn.io.files as a "model" output: it may replace only a model
        file), or an output fnn.io.files.check has accepted (a snapshot, a taught model ...).
    layers: as for fnn.forward (a layer list, dense sizes, or None for the dense relu/softmax
        network params describe).
    meta: optional plain data (str, numbers, lists, dicts) stored with the model, e.g.
        the test accuracy and the command that trained it.
    Refuses (ValueError) to write weights that contain NaN or inf, or a network larger than
    `load` reads (check_savable); fnn.io.files.WriteError (an OSError) when the file cannot
    or must not be written.
    """
    out = path if isinstance(path, files.Checked) else files.check_one(path, "model")
    path = out.path
    net = as_layers(layers, params)
    header = check_savable(net, meta)
    _check_arrays(path, params, net)
    return files.write(out, lambda f: np.savez(f, **{HEADER: np.array(header)}, **params),
                       suffix=".npz")


def check_savable(layers, meta=None):
    """The __fnn__ header text of a model file of `layers` and `meta`, or ValueError (one line)
    when `load` would refuse such a file: too many parameters (MAX_PARAMS, _check_size), meta
    not plain data, or a header longer than MAX_HEADER_CHARS. Needs no weights, so train.py
    asks it before training instead of after."""
    _check_size(layers)
    if not isinstance(meta or {}, dict):
        raise ValueError(f"meta must be a dict of plain data, got {type(meta).__name__}")
    try:
        header = json.dumps({"format": FORMAT, "version": VERSION, "layers": layers, "meta": meta or {}})
    except (TypeError, ValueError) as e:        # a numpy scalar, a set, a cycle ...
        raise ValueError(f"meta must be plain data (str, numbers, lists, dicts): {e}") from None
    if len(header) > MAX_HEADER_CHARS or _json_depth(header) > MAX_JSON_DEPTH:
        raise ValueError(f"the model header (layers and meta as JSON) must be at most "
                         f"{MAX_HEADER_CHARS:,} characters, nested at most {MAX_JSON_DEPTH} deep")
    return header


def load(path):
    """Read a model file -> (params, layers, meta). Raises ModelFileError, one line naming the
    file and the problem, for a missing, special, unreadable, truncated, non-npz, oversized
    or inconsistent file (what is checked, and in which order: the module docstring). Peak
    memory is the arrays themselves, bounded by MAX_PARAMS before they are allocated."""
    path = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file") from None
    except OSError as e:
        raise ModelFileError(f"{path}: cannot open ({e.strerror or e})") from None
    if stat.S_ISDIR(mode):
        raise ModelFileError(f"{path}: is a folder, not a model file")
    if not stat.S_ISREG(mode):
        raise ModelFileError(f"{path}: is not a regular file (a device, FIFO or socket), not a model file")
    try:
        f = open(path, "rb")
    except OSError as e:                                  # no read permission, ...
        raise ModelFileError(f"{path}: cannot read the model file ({e.strerror or e})") from None
    try:
        with f:
            return _read_model(path, f)
    except ModelFileError:
        raise
    except _CORRUPT as e:
        raise ModelFileError(f"{path}: not a readable .npz model file, truncated or corrupt "
                             f"({_describe(e)})") from None


DIGIT_PIXELS, DIGIT_CLASSES = 784, 10      # a digit model: 28x28 pixels in, 10 digits out
NOT_FINITE = "the model's output is not finite (its weights overflow)"


def load_digit_model(path):
    """load(path), checked to be a model of MNIST digits (check_digit_model). -> (params,
    layers, meta); ModelFileError (one line) otherwise. Every command that reads a digit
    model (draw.py, train.py --init, --evaluate, --compare) reads it here."""
    params, layers, meta = load(path)
    check_digit_model(path, params, layers)
    return params, layers, meta


def check_digit_model(path, params, layers):
    """ModelFileError unless the network maps 784 inputs to 10 softmax outputs and its outputs
    are finite on a probe: a blank image and a grey one, X (784, 2). A model that passes
    load can still be of another task (3x32x32 in, 20 out) or overflow on every input."""
    from fnn.network import forward              # here: fnn.network imports this module's package
    n_in = math.prod(layers[0]["shape"])
    n_out = L.param_shapes(layers)[f"b{len(params) // 2}"][0]
    if (n_in, n_out) != (DIGIT_PIXELS, DIGIT_CLASSES):
        raise ModelFileError(f"{files.shown(path)}: the model maps {n_in} inputs to {n_out} outputs; "
                             f"a digit model maps {DIGIT_PIXELS} pixels (28x28) to {DIGIT_CLASSES} digits")
    if layers[-1]["type"] != "softmax":
        raise ModelFileError(f"{files.shown(path)}: the model's outputs are {layers[-1]['type']}, "
                             f"not softmax; a digit model's {DIGIT_CLASSES} outputs are a softmax")
    probe = np.repeat(np.array([[0.0], [0.5]], np.float32), DIGIT_PIXELS, axis=1).T
    try:
        with np.errstate(all="ignore"):
            AL, _ = forward(params, probe, layers)
    except (NotImplementedError, ValueError) as e:
        raise ModelFileError(f"{files.shown(path)}: this fnn cannot run the model ({e})") from None
    if not np.isfinite(AL).all():
        raise ModelFileError(f"{files.shown(path)}: {NOT_FINITE}")


# What reading a damaged zip raises from zipfile, zlib, struct and the stdlib's decoders.
_CORRUPT = (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error,
            ValueError, NotImplementedError, RuntimeError, OverflowError, KeyError)
_MEMBER = re.compile(r"(__fnn__|[Wb][1-9][0-9]{0,5})\.npy")
_NPY_HEADER = 4096          # bytes of a .npy header; numpy writes 128


def _read_model(path, f):
    """load's work on the open file f."""
    magic = f.read(4)
    if magic[:1] == b"\x80":
        raise ModelFileError(f"{path}: holds pickled Python objects, which fnn never loads "
                             f"(a model file must not be able to run code)")
    if magic[:2] != b"PK":
        what = "an empty file" if not magic else "not a zip archive"
        raise ModelFileError(f"{path}: not a readable .npz model file ({what})")
    f.seek(0)
    with zipfile.ZipFile(_CappedReads(f, path)) as z:
        members = _members(path, z)
        if HEADER not in members:
            raise ModelFileError(f"{path}: not an fnn model (no {HEADER} header; save models with fnn.save)")
        header = _parse_header(path, _read_member(path, z, members.pop(HEADER), None))
        net = _layers(path, header["layers"])
        expected = L.param_shapes(net)
        _check_names(path, expected, members, ModelFileError)
        params = {key: _read_member(path, z, members[key], shape) for key, shape in expected.items()}
    _check_arrays(path, params, net, error=ModelFileError)
    return params, net, header.get("meta", {})


class _CappedReads:
    """The model file, refusing any single read of more than MAX_READ bytes. zipfile reads the
    central directory in one read of the size the file's end record declares; this is what
    stops a few-KB file that declares a gigabyte directory (or millions of members)."""

    def __init__(self, f, path):
        self._f, self._path = f, path

    def read(self, n=-1):
        if n is None or n < 0:
            n = os.fstat(self._f.fileno()).st_size - self._f.tell()
        if n > MAX_READ:
            raise ModelFileError(f"{self._path}: the zip directory or a member header declares "
                                 f"{n:,} bytes (at most {MAX_READ:,}): corrupt, or not an fnn model")
        return self._f.read(n)

    def seek(self, *args):
        return self._f.seek(*args)

    def tell(self):
        return self._f.tell()

    def seekable(self):
        return True


def _members(path, z):
    """{array name: ZipInfo}, after checking every member's name, uniqueness and compression."""
    members = {}
    for info in z.infolist():
        name = info.filename
        if not _MEMBER.fullmatch(name):
            raise ModelFileError(f"{path}: unexpected member {_shown(name)} (a model file holds "
                                 f"{HEADER}.npy and the arrays W1.npy, b1.npy, ...)")
        if name[:-4] in members:
            raise ModelFileError(f"{path}: member {name!r} appears twice")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ModelFileError(f"{path}: member {name!r} uses zip compression method "
                                 f"{info.compress_type}; fnn reads stored or deflated members only")
        if info.flag_bits & 0x1:
            raise ModelFileError(f"{path}: member {name!r} is encrypted")
        members[name[:-4]] = info
    return members


def _read_member(path, z, info, shape):
    """The array in one .npy member: the __fnn__ header text (shape None) or a parameter that
    the layers say has `shape`. The header is checked before any data is read; then exactly
    the bytes it declares are read, in pieces of _PIECE bytes into the new array."""
    key = info.filename[:-4]
    numbers = 1 if shape is None else math.prod(shape)
    most = 4 * MAX_HEADER_CHARS if shape is None else 8 * numbers        # bytes of data
    if info.file_size > 12 + _NPY_HEADER + most:
        what = (f"a header of at most {MAX_HEADER_CHARS:,} characters" if shape is None
                else f"an array of shape {tuple(shape)}")
        raise ModelFileError(f"{path}: member {info.filename!r} declares {info.file_size:,} bytes, "
                             f"more than {what} takes")
    with z.open(info) as f:
        dtype, fortran, data_shape = _npy_header(path, key, f)
        if shape is None:
            if not (dtype.kind == "U" and data_shape == () and dtype.itemsize <= 4 * MAX_HEADER_CHARS):
                raise ModelFileError(f"{path}: the {HEADER} header is not an fnn model header (an array"
                                     f" {dtype.str} of shape {_shown(data_shape)}, not one string of at"
                                     f" most {MAX_HEADER_CHARS:,} characters)")
        else:
            _check_layout(path, key, data_shape, dtype, shape, error=ModelFileError)
        array = np.empty(data_shape[::-1] if fortran else data_shape, dtype=dtype)
        buffer, done = memoryview(array.reshape(-1).view(np.uint8)), 0
        while done < array.nbytes:
            piece = f.read(min(_PIECE, array.nbytes - done))
            if not piece:
                raise ModelFileError(f"{path}: member {info.filename!r} ends before its data does "
                                     f"(truncated or corrupt)")
            buffer[done:done + len(piece)] = piece
            done += len(piece)
        if f.read(1):
            raise ModelFileError(f"{path}: member {info.filename!r} holds more than its .npy header declares")
    if shape is not None:
        return array.T if fortran else array
    try:         # UTF-32 by hand: numpy's own str() of an invalid code point is a SystemError
        return array.tobytes().decode("utf-32-be" if dtype.str[0] == ">" else "utf-32-le").rstrip("\0")
    except UnicodeDecodeError:
        raise ModelFileError(f"{path}: the {HEADER} header is not an fnn model header (not text)") from None


def _npy_header(path, key, f):
    """(dtype, fortran_order, shape) from the start of a .npy stream, reading at most
    _NPY_HEADER bytes; numpy's own parser (a literal, never code) reads the header text."""
    start = f.read(10)
    major = start[6] if len(start) == 10 else None
    if start[:6] != b"\x93NUMPY" or major not in (1, 2) or start[7] != 0:
        raise ModelFileError(f"{path}: member {key!r} is not a .npy array (version 1.0 or 2.0)")
    size = int.from_bytes(start[8:10], "little")
    if major == 2:
        rest = f.read(2)
        size += int.from_bytes(rest, "little") << 16
        start += rest
    if size > _NPY_HEADER:
        raise ModelFileError(f"{path}: member {key!r} has a .npy header of {size:,} bytes (at most {_NPY_HEADER:,})")
    text = f.read(size)
    read = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
    try:
        shape, fortran, dtype = read(io.BytesIO(start[8:] + text), max_header_size=_NPY_HEADER)
    except Exception as e:        # ValueError, or what numpy's fallback tokenizer raises (TokenError)
        raise ModelFileError(f"{path}: member {key!r} has a broken .npy header ({_describe(e)})") from None
    if dtype.hasobject:
        raise _pickled(path)
    return dtype, fortran, shape


def _pickled(path):
    return ModelFileError(f"{path}: holds pickled Python objects, which fnn never loads "
                          f"(a model file must not be able to run code)")


def _parse_header(path, text):
    """The __fnn__ JSON text -> its dict, checked: bounded length and nesting (measured before
    json parses it, so a deep nest is refused, not a RecursionError), the known keys only,
    format, version, and meta a JSON object."""
    bad = f"{path}: the {HEADER} header is not an fnn model header"
    if len(text) > MAX_HEADER_CHARS or _json_depth(text) > MAX_JSON_DEPTH:
        raise ModelFileError(f"{bad} (longer than {MAX_HEADER_CHARS:,} characters or nested deeper "
                             f"than {MAX_JSON_DEPTH})")
    try:
        header = json.loads(text)
    except (ValueError, RecursionError):
        header = None
    if not (isinstance(header, dict) and header.get("format") == FORMAT):
        raise ModelFileError(bad)
    version = header.get("version")
    if not (type(version) is int and version == VERSION):
        raise ModelFileError(f"{path}: model format version {_shown(version)}; this fnn reads version {VERSION}")
    unknown = sorted(set(header) - {"format", "version", "layers", "meta"})
    if unknown or "layers" not in header:
        what = f"unknown key {_shown(unknown[0])}" if unknown else "no 'layers'"
        raise ModelFileError(f"{bad} ({what})")
    if not isinstance(header.get("meta", {}), dict):
        raise ModelFileError(f"{path}: 'meta' in the {HEADER} header must be a JSON object, got "
                             f"{type(header['meta']).__name__}")
    return header


def _layers(path, layers):
    """The header's layer list, canonical, checked field by field and bounded in size."""
    try:
        net = L.normalize(layers)
    except ValueError as e:
        raise ModelFileError(f"{path}: the layer list in the header is invalid: {e}") from None
    try:
        _check_size(net)
    except ValueError as e:
        raise ModelFileError(f"{path}: {e}") from None
    return net


def _check_arrays(path, params, net, error=ValueError):
    """Every array the layer list needs is there, float, finite and of the right shape; nothing else is."""
    try:
        expected = L.param_shapes(net)
    except ValueError as e:
        raise error(f"{path}: the layer list does not fit together: {e}") from None
    _check_names(path, expected, params, error)
    for key, shape in expected.items():
        a = np.asarray(params[key])
        _check_layout(path, key, a.shape, a.dtype, shape, error)
        if not np.isfinite(a).all():
            raise error(f"{path}: array {key!r} contains NaN or inf")


def _check_names(path, expected, names, error):
    """The arrays `names` (a params dict, or a file's members) are exactly those `expected`."""
    for key in expected:
        if key not in names:
            raise error(f"{path}: missing array {key!r} (the layers need {', '.join(expected)})")
    extra = sorted(set(names) - set(expected))
    if extra:
        raise error(f"{path}: unexpected array(s) {', '.join(map(repr, extra))} for these layers")


def _check_layout(path, key, shape, dtype, expected, error):
    """An array (or a .npy header) of `shape` and `dtype` is float32/float64 of the expected shape."""
    if dtype not in (np.float32, np.float64):
        raise error(f"{path}: array {key!r} has dtype {dtype}, expected float32 or float64")
    if tuple(shape) != tuple(expected):
        raise error(f"{path}: array {key!r} has shape {tuple(shape)}, the layers need {tuple(expected)}")


def _check_size(net):
    """Refuse (ValueError) a network larger than a model file may describe: more than MAX_PARAMS
    weights; one example's forward pass building an array of more than MAX_EXAMPLE_NUMBERS
    numbers (fnn.layers.largest_array, or a conv's zero-padded copy of its input); or more than
    MAX_WINDOW_OFFSETS kernel offsets, over which conv and max-pool loop in Python. Computed
    from the shapes alone, so nothing that large is ever allocated or run."""
    try:
        n = parameter_count(net)
    except ValueError as e:
        raise ValueError(f"the layer list does not fit together: {e}") from None
    if n > MAX_PARAMS:
        raise ValueError(f"the layers have {n:,} parameters, more than the {MAX_PARAMS:,} a model "
                         f"file may hold")
    most = max(L.largest_array(net), _largest_padded_input(net))
    if most > MAX_EXAMPLE_NUMBERS:
        raise ValueError(f"one example's forward pass through these layers builds an array of "
                         f"{most:,} numbers, more than the {MAX_EXAMPLE_NUMBERS:,} a model file may ask for")
    offsets = sum(L.KINDS[spec["type"]].offsets(spec) for spec in net[1:])
    if offsets > MAX_WINDOW_OFFSETS:
        raise ValueError(f"the conv and max-pool windows of these layers have {offsets:,} offsets, "
                         f"more than the {MAX_WINDOW_OFFSETS:,} a model file may ask for")


def _largest_padded_input(net):
    """C*(H+2p)*(W+2p): the numbers a conv's zero-padded copy of one example's input holds."""
    shape, most = net[0]["shape"], 0
    for spec in net[1:]:
        if spec["type"] == "conv":
            C, H, W = shape
            most = max(most, C * (H + 2 * spec["pad"]) * (W + 2 * spec["pad"]))
        shape = L.KINDS[spec["type"]].out_shape(spec, shape)
    return most


def _json_depth(text):
    """How deeply lists and objects nest in JSON text, found by one linear scan (strings and
    their escapes skipped) that stops as soon as it passes MAX_JSON_DEPTH."""
    depth = most = 0
    in_string = False
    for token in re.finditer(r'\\.|["\[\]{}]', text, re.S):
        t = token.group()
        if t == '"':
            in_string = not in_string
        elif in_string or len(t) == 2:
            continue
        elif t in "[{":
            depth += 1
            most = max(most, depth)
            if most > MAX_JSON_DEPTH:
                break
        else:
            depth -= 1
    return most


def _describe(err):
    """An exception as 'TypeName: message', on one line and at most 200 characters."""
    text = " ".join(f"{type(err).__name__}: {err}".split())
    return text if len(text) <= 200 else text[:197] + "..."


def _shown(value, width=40):
    """repr(value) cut to width characters, for a one-line message."""
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."
