"""Model files: bit-exact round trip, no pickle, atomic writes, one clear error per bad file."""
import os
import zipfile
import zlib

import numpy as np
import pytest

import fnn
from fnn.io import files
from fnn.io.model_files import ModelFileError
from peak_rss import peak_growth

TANH = fnn.layers.dense_layers([784, 32, 10], "tanh")


@pytest.fixture
def model():
    return fnn.init_params(TANH, seed=0)


def test_round_trip_is_bit_exact_and_self_describing(tmp_path, model):
    path = tmp_path / "m.npz"
    fnn.save(path, model, TANH, meta={"test_accuracy": 0.98, "command": "python train.py"})
    params, layers, meta = fnn.load(path)
    assert params.keys() == model.keys()
    for k in model:
        assert params[k].dtype == model[k].dtype and np.array_equal(params[k], model[k])
    assert [s["type"] for s in layers] == ["input", "dense", "tanh", "dense", "softmax"]
    assert meta == {"test_accuracy": 0.98, "command": "python train.py"}
    X = np.random.default_rng(0).random((784, 3), dtype=np.float32)
    # load alone gives a usable model: the layer list carries the activation
    np.testing.assert_array_equal(fnn.forward(params, X, layers)[0], fnn.forward(model, X, TANH)[0])


def test_file_holds_no_pickled_object(tmp_path, model):
    path = tmp_path / "m.npz"
    fnn.save(path, model)
    with np.load(path, allow_pickle=False) as npz:   # would raise on any object array
        assert all(npz[k].dtype.kind in "fU" for k in npz.files)   # float weights, the text header


def test_save_replaces_atomically_and_leaves_no_temp_file(tmp_path, model):
    path = tmp_path / "m.npz"
    fnn.save(path, model)
    fnn.save(path, fnn.init_params([784, 32, 10], seed=1))
    assert os.listdir(tmp_path) == ["m.npz"]


def test_interrupted_save_keeps_the_old_file(tmp_path, model, monkeypatch):
    path = tmp_path / "m.npz"
    fnn.save(path, model)
    before = path.read_bytes()

    def ctrl_c_mid_write(f, **arrays):
        f.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", ctrl_c_mid_write)
    with pytest.raises(KeyboardInterrupt):
        fnn.save(path, fnn.init_params([784, 32, 10], seed=1))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.npz"]


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_atomic_write_failure_keeps_the_old_file_and_no_temp_file(tmp_path, error):
    path = tmp_path / "curve.png"
    old = b"\x89PNG\r\n\x1a\n old content"
    assert files.write(files.check_one(path, "curve_png"), lambda f: f.write(old)) == str(path)

    def fails_mid_write(f):
        f.write(b"half of the new")
        f.flush()
        raise error

    with pytest.raises(files.WriteError if isinstance(error, Exception) else KeyboardInterrupt):
        files.write(files.check_one(path, "curve_png"), fails_mid_write)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["curve.png"]
    files.write(files.check_one(path, "curve_png"), lambda f: f.write(b"\x89PNG\r\n\x1a\n new"))
    assert path.read_bytes().endswith(b"new") and os.listdir(tmp_path) == ["curve.png"]

def test_saved_file_has_the_usual_permissions(tmp_path, model):
    path = tmp_path / "m.npz"
    mask = os.umask(0o022)
    try:
        fnn.save(path, model)
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_refuses_to_save_nan_weights(tmp_path, model):
    path = tmp_path / "m.npz"
    bad = {**model, "W2": np.full_like(model["W2"], np.nan)}
    with pytest.raises(ValueError, match="'W2' contains NaN or inf"):
        fnn.save(path, bad)
    assert not path.exists()


def _write_npz(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _header(layers):
    import json
    return np.array(json.dumps({"format": "fnn-model", "version": 1, "layers": layers, "meta": {}}))


DENSE = [{"type": "input", "shape": [4]}, {"type": "dense", "units": 3}, {"type": "softmax"}]
W, B = np.zeros((3, 4), np.float32), np.zeros((3, 1), np.float32)


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "no such model file"),
    (lambda p: p.mkdir(), "is a folder, not a model file"),
    (lambda p: p.write_bytes(b""), "not a readable .npz model file"),
    (lambda p: p.write_bytes(b"hello, I am text"), "not a readable .npz model file"),
    (lambda p: p.write_bytes(__import__("pickle").dumps({"W1": 1})), "pickled Python objects"),
    (lambda p: _write_npz(p, __fnn__=_header(DENSE), W1=np.array([object()] * 3, dtype=object), b1=B),
     "pickled Python objects"),
    (lambda p: _write_npz(p, W1=W, b1=B), "not an fnn model (no __fnn__ header"),
    (lambda p: _write_npz(p, __fnn__=np.array("{not json"), W1=W, b1=B), "header is not an fnn model header"),
    (lambda p: _write_npz(p, __fnn__=np.array("[]"), W1=W, b1=B), "header is not an fnn model header"),
    (lambda p: _write_npz(p, __fnn__=_header(DENSE), W1=W), "missing array 'b1'"),
    (lambda p: _write_npz(p, __fnn__=_header(DENSE), W1=np.zeros((3, 5), np.float32), b1=B),
     "array 'W1' has shape (3, 5), the layers need (3, 4)"),
    (lambda p: _write_npz(p, __fnn__=_header(DENSE), W1=W.astype(np.int32), b1=B), "'W1' has dtype int32"),
    (lambda p: _write_npz(p, __fnn__=_header(DENSE), W1=W + np.inf, b1=B), "'W1' contains NaN or inf"),
    (lambda p: _write_npz(p, __fnn__=_header(DENSE), W1=W, b1=B, W9=W), "unexpected array(s) 'W9'"),
    (lambda p: _write_npz(p, __fnn__=_header([{"type": "dense", "units": 3}]), W1=W, b1=B),
     "layer list in the header is invalid"),
])
def test_each_bad_model_file_gets_its_own_message(tmp_path, make, message):
    path = tmp_path / "model.npz"
    make(path)
    with pytest.raises(ModelFileError) as err:
        fnn.load(path)
    text = str(err.value)
    assert str(path) in text and message in text and "\n" not in text


def test_truncated_file(tmp_path, model):
    path = tmp_path / "m.npz"
    fnn.save(path, model)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 100):
        path.write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match="not a readable .npz model file"):
            fnn.load(path)


def test_corrupt_bytes_inside_an_array(tmp_path, model):
    path = tmp_path / "m.npz"
    fnn.save(path, model)
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("W1.npy")
    data = bytearray(path.read_bytes())
    data[info.header_offset + 200] ^= 0xFF   # inside W1's bytes: the zip CRC no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        fnn.load(path)


# ---------------------------------------------------------------------------------------------
# Hostile model files, built byte by byte (a few KB each): whatever they declare, load refuses
# them with one line before it takes the memory.

def npy(shape, descr="<f4", data=b"", fortran=False):
    """The bytes of a .npy file whose header declares descr and shape, followed by `data`."""
    text = "{'descr': %r, 'fortran_order': %r, 'shape': %r, }" % (descr, fortran, tuple(shape))
    text += " " * (-(len(text) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode("latin1") + data


def npy_of(array):
    import io
    f = io.BytesIO()
    np.save(f, array)
    return f.getvalue()


def stored(name, data, size=None):
    """A zip member (name, method, raw bytes, crc, declared uncompressed size)."""
    return name, 0, data, zlib.crc32(data), len(data) if size is None else size


def deflated(name, data, zeros_mib=0, size=None):
    """A deflated member holding data and then zeros_mib MiB of zeros: a 1 KB deflate block
    inflates to 1 MiB, so 100 KB of file becomes 100 MiB. Declares its true size unless `size`."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(bytes(1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)   # the same bytes each time
    raw = head + block * zeros_mib + c.flush()
    true_size = len(data) + (zeros_mib << 20)
    crc = zlib.crc32(data) if not zeros_mib else 0      # a bomb is refused before its CRC is checked
    return name, 8, raw, crc, true_size if size is None else size


def zip_bytes(members, flags=0):
    """A zip archive written by hand, so that it can hold what zipfile would not write: duplicate
    names, lying sizes, other compression methods."""
    import struct
    local, central, offset = [], [], 0
    for name, method, raw, crc, size in members:
        n = name.encode()
        fields = (flags, method, 0, 0x21, crc, len(raw), size, len(n))
        head = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, *fields, 0) + n
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, *fields, 0, 0, 0, 0, 0, offset) + n)
        local.append(head + raw)
        offset += len(head) + len(raw)
    cd = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(cd), offset, 0)
    return b"".join(local) + cd + end


def header_npy(layers=DENSE, meta=None, **extra):
    import json
    return npy_of(np.array(json.dumps({"format": "fnn-model", "version": 1, "layers": layers,
                                       "meta": meta or {}, **extra})))


def good_members(layers=DENSE, arrays=None):
    arrays = {"W1": W, "b1": B} if arrays is None else arrays
    return [stored("__fnn__.npy", header_npy(layers))] + [stored(f"{k}.npy", npy_of(a)) for k, a in arrays.items()]


HUGE = 2 ** 27          # numbers: 512 MiB in float32, 1 GiB in float64

# (name, members, what the one-line message says). Each file is a few KB.
HOSTILE = [
    ("extra_member", good_members() + [stored("junk.npy", npy((HUGE,), "<f8"))], "unexpected member 'junk.npy'"),
    ("extra_array", good_members() + [stored("W9.npy", npy((HUGE,), "<f8"))], "unexpected array(s) 'W9'"),
    ("directory", good_members() + [stored("W1.npy/", b"")], "unexpected member 'W1.npy/'"),
    ("duplicate", good_members() + [stored("W1.npy", npy((HUGE,), "<f8"))], "member 'W1.npy' appears twice"),
    ("huge_shape", [good_members()[0], stored("W1.npy", npy((HUGE, HUGE))), stored("b1.npy", npy_of(B))],
     f"array 'W1' has shape ({HUGE}, {HUGE}), the layers need (3, 4)"),
    ("huge_dtype", [stored("__fnn__.npy", npy((), f"<U{HUGE}"))] + good_members()[1:],
     "the __fnn__ header is not an fnn model header (an array <U134217728 of shape ()"),
    ("struct_dtype", [good_members()[0], stored("W1.npy", npy((3, 4), [("a", "<f8", (HUGE,))])),
                      stored("b1.npy", npy_of(B))], "array 'W1' has dtype"),
    ("void_dtype", [good_members()[0], stored("W1.npy", npy((3, 4), f"|V{HUGE}")), stored("b1.npy", npy_of(B))],
     "array 'W1' has dtype |V134217728, expected float32 or float64"),
    ("declared_size", [good_members()[0], stored("W1.npy", npy_of(W), size=2 ** 31), stored("b1.npy", npy_of(B))],
     "member 'W1.npy' declares 2,147,483,648 bytes, more than an array of shape (3, 4) takes"),
    ("long_npy_header", [good_members()[0], stored("W1.npy", npy_of(W)[:8] + b"\xff\xff" + b" " * 100),
                         stored("b1.npy", npy_of(B))], "member 'W1' has a .npy header of 65,535 bytes"),
    ("bzip2", [good_members()[0], ("W1.npy", 12, __import__("bz2").compress(npy_of(W)), 0, len(npy_of(W))),
               stored("b1.npy", npy_of(B))], "member 'W1.npy' uses zip compression method 12"),
    ("units", [stored("__fnn__.npy", header_npy([{"type": "input", "shape": [2 ** 13]}, {"type": "dense", "units": 2 ** 14},
                                                 {"type": "softmax"}])),
               stored("W1.npy", npy((2 ** 14, 2 ** 13))), stored("b1.npy", npy((2 ** 14, 1)))],
     "the layers have 134,234,112 parameters, more than the 67,108,864 a model file may hold"),
    ("padding", [stored("__fnn__.npy", header_npy([{"type": "input", "shape": [1, 28, 28]},
                                                   {"type": "conv", "filters": 1, "size": 1, "stride": 5000, "pad": 5000},
                                                   {"type": "flatten"}, {"type": "dense", "units": 2}, {"type": "softmax"}])),
                 stored("W1.npy", npy_of(np.zeros((1, 1, 1, 1), np.float32))), stored("b1.npy", npy_of(np.zeros((1, 1), np.float32))),
                 stored("W2.npy", npy_of(np.zeros((2, 9), np.float32))), stored("b2.npy", npy_of(np.zeros((2, 1), np.float32)))],
     "builds an array of 100,560,784 numbers, more than the 16,777,216"),
    ("filters", [stored("__fnn__.npy", header_npy([{"type": "input", "shape": [1, 28, 28]},
                                                   {"type": "conv", "filters": 30000, "size": 3, "stride": 1, "pad": 1},
                                                   {"type": "maxpool", "size": 2, "stride": 2}, {"type": "flatten"},
                                                   {"type": "dense", "units": 1}, {"type": "softmax"}]))],
     "builds an array of 23,520,000 numbers"),
    ("pool", [stored("__fnn__.npy", header_npy([{"type": "input", "shape": [1, 28, 28]},
                                                {"type": "conv", "filters": 1, "size": 1, "stride": 1, "pad": 100},
                                                {"type": "maxpool", "size": 200, "stride": 1}, {"type": "flatten"},
                                                {"type": "dense", "units": 1}, {"type": "softmax"}]))],
     "windows of these layers have 40,001 offsets, more than the 16,384"),
]


@pytest.mark.parametrize("name, members, message", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_model_files_are_refused_in_one_line(tmp_path, name, members, message):
    path = tmp_path / f"{name}.npz"
    path.write_bytes(zip_bytes(members))
    assert path.stat().st_size < 80_000
    with pytest.raises(ModelFileError) as err:
        fnn.load(path)
    text = str(err.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text, text


def test_header_that_is_not_unicode_text_is_refused(tmp_path):
    text = npy_of(np.array('{"format": "fnn-model"}'))
    bad = text[:-4] + b"\x00\x00\x11\x00"                 # the last character: U+110000, past Unicode
    path = tmp_path / "m.npz"
    path.write_bytes(zip_bytes([stored("__fnn__.npy", bad)] + good_members()[1:]))
    with pytest.raises(ModelFileError, match="the __fnn__ header is not an fnn model header .not text."):
        fnn.load(path)


def test_encrypted_member_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(zip_bytes(good_members(), flags=0x1))
    with pytest.raises(ModelFileError, match="member '__fnn__.npy' is encrypted"):
        fnn.load(path)


def test_zip_directory_larger_than_one_read_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(fnn.io.model_files, "MAX_READ", 2048)      # 1 MiB of directory, scaled down
    path = tmp_path / "m.npz"
    path.write_bytes(zip_bytes(good_members() + [stored(f"W{l}.npy", b"") for l in range(2, 60)]))
    with pytest.raises(ModelFileError, match="the zip directory or a member header declares 3,"):
        fnn.load(path)


def test_member_with_data_beyond_its_header_or_short_of_it(tmp_path):
    for data, message in [(npy_of(W) + b"\0" * 8, "'W1.npy' holds more than its .npy header declares"),
                          (npy_of(W)[:-8], "'W1.npy' ends before its data does")]:
        path = tmp_path / "m.npz"
        path.write_bytes(zip_bytes([good_members()[0], stored("W1.npy", data), stored("b1.npy", npy_of(B))]))
        with pytest.raises(ModelFileError, match=message):
            fnn.load(path)


def test_a_member_that_inflates_beyond_its_declared_size_is_cut_there(tmp_path):
    # declares the 176 bytes of W1.npy but inflates to 64 MiB more: the reader stops at 176
    name, method, raw, _, _ = deflated("W1.npy", npy_of(W + 1), zeros_mib=64)
    member = (name, method, raw, zlib.crc32(npy_of(W + 1)), len(npy_of(W + 1)))
    path = tmp_path / "m.npz"
    path.write_bytes(zip_bytes([good_members()[0], member, stored("b1.npy", npy_of(B))]))
    params, _, _ = fnn.load(path)
    np.testing.assert_array_equal(params["W1"], W + 1)


def test_deflated_and_fortran_order_members_load_as_written(tmp_path, model):
    path = tmp_path / "m.npz"
    arrays = {"W1": np.asfortranarray(W + 2), "b1": B + 3}
    path.write_bytes(zip_bytes([deflated(n, d) for n, _, d, _, _ in good_members(DENSE, arrays)]))
    params, _, _ = fnn.load(path)
    np.testing.assert_array_equal(params["W1"], W + 2)
    np.testing.assert_array_equal(params["b1"], B + 3)


def test_files_that_inflate_to_gigabytes_take_no_memory(tmp_path, model):
    """The nastiest: members whose deflate streams inflate to 128 MiB (128 KB of file each) or
    whose headers declare gigabytes. Peak RSS must stay within 64 MB of loading a valid model."""
    good = tmp_path / "good.npz"
    fnn.save(good, model)
    bomb = npy((HUGE,), "<f8")
    cases = {
        "extra_array": good_members() + [deflated("W9.npy", bomb, zeros_mib=128)],
        "extra_member": good_members() + [deflated("junk.npy", bomb, zeros_mib=128)],
        "huge_shape": [good_members()[0], deflated("W1.npy", npy((HUGE, 8)), zeros_mib=128), stored("b1.npy", npy_of(B))],
        "huge_string": [deflated("__fnn__.npy", npy((), f"<U{HUGE}"), zeros_mib=128)] + good_members()[1:],
        "lying_size": [good_members()[0], deflated("W1.npy", npy_of(W), zeros_mib=128, size=len(npy_of(W))),
                       stored("b1.npy", npy_of(B))],
        "units": HOSTILE[[h[0] for h in HOSTILE].index("units")][1][:1]
                 + [deflated("W1.npy", npy((2 ** 14, 2 ** 13)), zeros_mib=128), stored("b1.npy", npy((2 ** 14, 1)))],
    }
    paths = []
    for name, members in cases.items():
        paths.append(tmp_path / f"{name}.npz")
        paths[-1].write_bytes(zip_bytes(members))
        assert paths[-1].stat().st_size < 200_000
    results = peak_growth("fnn", "load", "ModelFileError", good, paths)
    assert len(results) == len(paths)
    for path, outcome, grown in results:
        assert outcome == "ModelFileError" and grown < 64, (path, outcome, grown)


# ---------------------------------------------------------------------------------------------
# Headers that lie: every field of the layer list is checked, and a violation names it.

CONV = {"type": "conv", "filters": 2, "size": 3, "stride": 1, "pad": 0}


@pytest.mark.parametrize("layers, message", [
    ([{"type": "input"}, {"type": "dense", "units": 3}, "softmax"], "layer 0 (input): missing field 'shape'"),
    ([{"type": "input", "shape": "4"}, "softmax"], "layer 0 (input): 'shape' must be a non-empty list of positive ints, got '4'"),
    ([{"type": "input", "shape": [4.0]}, "softmax"], "'shape' must be a non-empty list of positive ints, got [4.0]"),
    ([{"type": "input", "shape": [True]}, "softmax"], "got [True]"),
    ([{"type": "input", "shape": []}, "softmax"], "got []"),
    ([{"type": "input", "shape": [4]}, {"type": "dense", "units": "3"}, "softmax"],
     "layer 1 (dense): 'units' must be a positive int, got '3'"),
    ([{"type": "input", "shape": [4]}, {"type": "dense", "units": True}, "softmax"], "'units' must be a positive int, got True"),
    ([{"type": "input", "shape": [4]}, {"type": "dense", "units": -3}, "softmax"], "'units' must be a positive int, got -3"),
    ([{"type": "input", "shape": [4]}, {"type": "dense", "units": None}, "softmax"], "'units' must be a positive int, got None"),
    ([{"type": "input", "shape": [1, 8, 8]}, {**CONV, "stride": 1.5}, "softmax"],
     "layer 1 (conv): 'stride' must be a positive int, got 1.5"),
    ([{"type": "input", "shape": [1, 8, 8]}, {**CONV, "pad": False}, "softmax"], "'pad' must be a non-negative int, got False"),
    ([{"type": "input", "shape": [1, 8, 8]}, {k: v for k, v in CONV.items() if k != "pad"}, "softmax"],
     "layer 1 (conv): missing field 'pad'"),
    ([{"type": "input", "shape": [1, 8, 8]}, {"type": "maxpool", "size": [2], "stride": 2}, "softmax"],
     "layer 1 (maxpool): 'size' must be a positive int, got [2]"),
    ([{"type": "input", "shape": [4]}, {"type": "dense", "units": 3, "activation": "relu"}, "softmax"],
     "layer 1 (dense): unknown field 'activation' (a dense layer has only 'units')"),
    ([{"type": "input", "shape": [4]}, {"type": "relu", "alpha": 0.1}, "softmax"], "layer 1 (relu): unknown field 'alpha'"),
    ([{"type": "input", "shape": [4]}, {"type": 7}, "softmax"], "layer 1: unknown type 7"),
    ([{"type": "input", "shape": [4]}, {"type": ["relu"]}, "softmax"], "layer 1: unknown type ['relu']"),
    ([{"type": "input", "shape": [4]}, [1, 2], "softmax"], "layer 1: a layer is a dict or an activation name, got [1, 2]"),
    ([{"type": "input", "shape": [4]}, 3, "softmax"], "layer 1: a layer is a dict or an activation name, got 3"),
    ({"type": "input"}, "a layer list is a list of layers, got {'type': 'input'}"),
    (None, "a layer list is a list of layers, got None"),
    ("relu", "a layer list is a list of layers, got 'relu'"),
])
def test_every_layer_field_is_type_and_range_checked(tmp_path, layers, message):
    path = tmp_path / "model.npz"
    _write_npz(path, __fnn__=_header(layers), W1=W, b1=B)
    with pytest.raises(ModelFileError) as err:
        fnn.load(path)
    assert str(err.value) == f"{path}: the layer list in the header is invalid: {message}" or (
        message in str(err.value) and "\n" not in str(err.value)), str(err.value)
    if isinstance(layers, list):                      # the same list built in Python
        with pytest.raises(ValueError, match=__import__("re").escape(message)):
            fnn.init_params(layers)


def test_conv_ranges_from_a_file_name_their_layer(tmp_path):
    path = tmp_path / "model.npz"
    _write_npz(path, __fnn__=_header([{"type": "input", "shape": [1, 8, 8]}, {**CONV, "pad": -1},
                                      {"type": "flatten"}, {"type": "dense", "units": 2}, "softmax"]), W1=W, b1=B)
    with pytest.raises(ModelFileError, match=r"the layer list does not fit together: layer 1 \(conv\): "
                                             r"conv needs size >= 1, stride >= 1 and pad >= 0; got size 3, stride 1, pad -1"):
        fnn.load(path)


def _raw_header(text):
    return np.array(text)


@pytest.mark.parametrize("text, message", [
    ('{"format": "fnn-model", "version": 1, "layers": [], "meta": ' + "[" * 5000 + "]" * 5000 + "}",
     "nested deeper than 32"),
    ('{"format": "fnn-model", "version": 1, "layers": [], "meta": "' + "x" * 70000 + '"}',
     "more than a header of at most 65,536 characters takes"),
    ('{"format": "fnn-model", "version": true, "layers": []}', "model format version True"),
    ('{"format": "fnn-model", "version": 1.0, "layers": []}', "model format version 1.0"),
    ('{"format": "fnn-model", "version": 1, "layers": [], "code": "rm -rf /"}', "(unknown key 'code')"),
    ('{"format": "fnn-model", "version": 1}', "(no 'layers')"),
    ('{"format": "fnn-model", "version": 1, "layers": [], "meta": [1, 2]}', "'meta' in the __fnn__ header must be a JSON object, got list"),
    ('{"format": "fnn-model", "version": 1, "layers": [{"type": "input", "shape": [' + "9" * 5000 + ']}]}',
     "the __fnn__ header is not an fnn model header"),
])
def test_header_json_is_bounded_and_typed(tmp_path, text, message):
    path = tmp_path / "model.npz"
    _write_npz(path, __fnn__=_raw_header(text), W1=W, b1=B)
    with pytest.raises(ModelFileError) as err:
        fnn.load(path)
    assert message in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_save_refuses_what_load_would_refuse(tmp_path, model):
    path = tmp_path / "m.npz"
    with pytest.raises(ValueError, match="meta must be plain data"):
        fnn.save(path, model, meta={"accuracy": np.float32(0.9)})
    with pytest.raises(ValueError, match="meta must be plain data"):
        fnn.save(path, model, meta={"seen": {1, 2}})
    with pytest.raises(ValueError, match="meta must be a dict"):
        fnn.save(path, model, meta=[1, 2])
    with pytest.raises(ValueError, match="model header .* at most 65,536 characters"):
        fnn.save(path, model, meta={"log": "x" * 70000})
    net = [fnn.Input(1, 28, 28), fnn.Conv(1, 1, stride=5000, pad=5000), fnn.Flatten(), fnn.Dense(2), "softmax"]
    with pytest.raises(ValueError, match="builds an array of 100,560,784 numbers"):
        fnn.save(path, fnn.init_params(net, seed=0), net)
    with pytest.raises(ValueError, match="'W1' has dtype float16"):
        fnn.save(path, {k: v.astype(np.float16) for k, v in model.items()})
    assert not path.exists()
