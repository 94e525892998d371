"""Model files: bit-exact round trip, no pickle, atomic writes, one clear error per bad file."""
import os
import zipfile

import numpy as np
import pytest

import fnn
from fnn.model_io import ModelFileError, atomic_write

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
    assert atomic_write(path, lambda f: f.write(b"old content"), suffix=".png") == str(path)

    def fails_mid_write(f):
        f.write(b"half of the new")
        f.flush()
        raise error

    with pytest.raises(type(error)):
        atomic_write(path, fails_mid_write, suffix=".png")
    assert path.read_bytes() == b"old content"
    assert os.listdir(tmp_path) == ["curve.png"]
    atomic_write(path, lambda f: f.write(b"new"))             # and a later write still works
    assert path.read_bytes() == b"new" and os.listdir(tmp_path) == ["curve.png"]

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
