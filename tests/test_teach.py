"""fnn.digits.teach: teaching one drawing raises its class and keeps the rest; the handwriting CSV
grows one valid row at a time, atomically, even under Ctrl-C."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import fnn
from fnn.io.data import DataError, load_csv
from fnn.digits.teach import HEADER, append_digit, digit_row, score_digits, teach

ROOT = Path(__file__).resolve().parent.parent
MLP = ROOT / "data" / "mnist_mlp.npz"


@pytest.fixture(scope="module")
def mlp():
    return fnn.load(MLP)[:2]


def test_teaching_a_misread_digit_raises_its_class_and_keeps_the_rest(mlp, mnist_train_slice,
                                                                      mnist_test_slice):
    params, layers = mlp
    Xr, yr = mnist_train_slice
    Xt, yt = mnist_test_slice
    Xt, yt = Xt[:, :1000], yt[:1000]
    P = fnn.predict_proba(params, Xt, layers)
    j = int(np.flatnonzero(P.argmax(axis=0) != yt)[0])          # a digit the model gets wrong
    before = {k: v.copy() for k, v in params.items()}
    new = teach(params, layers, Xt[:, j], yt[j], Xr, yr, np.random.default_rng(0))
    p_new = fnn.predict_proba(new, Xt[:, j:j + 1], layers)[:, 0]
    assert p_new[yt[j]] > P[yt[j], j] + 0.3 and p_new.argmax() == yt[j]
    assert fnn.accuracy(new, Xt, yt, layers) >= (P.argmax(axis=0) == yt).mean() - 0.005
    assert all(np.array_equal(params[k], before[k]) for k in params)      # undo = keep params


def test_the_same_rng_teaches_the_same_params(mlp, mnist_train_slice):
    params, layers = mlp
    Xr, yr = mnist_train_slice
    a = teach(params, layers, Xr[:, 0], 3, Xr, yr, np.random.default_rng(5), steps=2)
    b = teach(params, layers, Xr[:, 0], 3, Xr, yr, np.random.default_rng(5), steps=2)
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_each_kept_digit_adds_exactly_one_row_that_load_csv_reads(tmp_path):
    path = tmp_path / "my_digits.csv"
    rng = np.random.default_rng(0)
    images = rng.random((3, 784)).astype(np.float32)
    for n, (img, label) in enumerate(zip(images, [4, 0, 9]), start=1):
        assert append_digit(path, img, label) == n
        X, y = load_csv(path)
        assert X.shape == (784, n) and y.tolist() == [4, 0, 9][:n]
    assert path.read_text().splitlines()[0] == HEADER
    np.testing.assert_array_equal(X * 255, np.rint(images.T * 255))


def test_append_refuses_a_file_that_is_not_a_handwriting_csv(tmp_path):
    other = tmp_path / "notes.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="not a handwriting CSV"):
        append_digit(other, np.zeros(784), 1)
    assert other.read_text() == "a,b\n1,2\n"
    packed = tmp_path / "x.csv.gz"
    packed.write_bytes(b"x")
    with pytest.raises(DataError, match="plain .csv"):
        append_digit(packed, np.zeros(784), 1)
    assert packed.read_bytes() == b"x"
    with pytest.raises(ValueError, match="a label is a digit"):
        digit_row(np.zeros(784), 10)


def test_an_interrupted_append_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "my_digits.csv"
    append_digit(path, np.ones(784), 1)
    old = path.read_bytes()

    def write_half_then_ctrl_c(f):
        f.write(old[:100])
        raise KeyboardInterrupt
    import fnn.io.files
    real = fnn.io.files.write
    monkeypatch.setattr(fnn.io.files, "write",
                        lambda out, fill, suffix=None: real(out, write_half_then_ctrl_c, suffix))
    with pytest.raises(KeyboardInterrupt):
        append_digit(path, np.zeros(784), 2)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["my_digits.csv"]


def test_ctrl_c_while_appending_in_a_loop_leaves_a_valid_file(tmp_path):
    """A real SIGINT at an arbitrary moment of a loop of appends: the file loads, every row whole."""
    path = tmp_path / "my_digits.csv"
    code = ("import signal, sys, numpy as np; sys.path.insert(0, sys.argv[2])\n"
            "signal.signal(signal.SIGINT, signal.default_int_handler)\n"  # even if started ignoring it
            "from fnn.digits.teach import append_digit\n"
            "x = np.linspace(0, 1, 784); n = 0\n"
            "while True:\n"
            "    n = append_digit(sys.argv[1], x, n % 10)\n"
            "    if n == 3: print('ready', flush=True)\n")
    p = subprocess.Popen([sys.executable, "-c", code, str(path), str(ROOT)], stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline().strip() == "ready"
    time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=20)
    assert p.returncode != 0                                    # it was interrupted, not done
    X, y = load_csv(path)
    assert y.size >= 3 and y.tolist() == [i % 10 for i in range(y.size)]
    np.testing.assert_array_equal(X * 255, np.rint(np.linspace(0, 1, 784) * 255)[:, None].repeat(y.size, 1))
    # at most a temporary named for the dead process, which the next write removes
    assert [f for f in os.listdir(tmp_path) if not f.startswith(".fnn-tmp-")] == ["my_digits.csv"]


def test_score_digits_counts_per_digit(mlp, tmp_path, mnist_test_slice):
    params, layers = mlp
    Xt, yt = mnist_test_slice
    path = tmp_path / "set.csv"
    for j in range(12):
        append_digit(path, Xt[:, j], yt[j])
    C = score_digits(params, layers, path)
    assert C.sum() == 12 and C.sum(axis=1).tolist() == np.bincount(yt[:12], minlength=10).tolist()
    assert np.trace(C) == int((fnn.predict(params, Xt[:, :12], layers) == yt[:12]).sum())
