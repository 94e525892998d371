"""fnn.analysis.calibration: ECE by hand, the temperature against a brute-force search, and the
command lines: --evaluate prints ECE, --calibrate stores T, and the pad's bars use it."""
import os

import numpy as np
import pytest

import fnn
from fnn.analysis.calibration import (ece, fit_temperature, model_temperature, nll, reliability, scale,
                                     scaled_params)
from conftest import DATA, one_line


def test_ece_of_a_small_case_by_hand():
    # confidences 0.9, 0.9 (one right), 0.6 (right), 0.35 (wrong): bins of width 1/15
    P = np.array([[0.9, 0.05, 0.6, 0.35], [0.05, 0.9, 0.3, 0.33], [0.05, 0.05, 0.1, 0.32]])
    y = np.array([0, 0, 0, 2])
    count, conf, acc = reliability(P, y)
    assert count.sum() == 4 and count[13] == 2 and count[8] == 1 and count[5] == 1
    assert acc[13] == 0.5 and acc[8] == 1.0 and acc[5] == 0.0 and np.isnan(acc[0])
    assert ece(P, y) == pytest.approx(2 / 4 * 0.4 + 1 / 4 * 0.4 + 1 / 4 * 0.35)


def test_scale_keeps_the_answer_and_T_1_is_the_identity():
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((10, 50)) * 4
    P = np.exp(Z) / np.exp(Z).sum(axis=0)
    np.testing.assert_allclose(scale(P, 1.0), P, atol=1e-12)
    Q = scale(P, 2.5)
    np.testing.assert_allclose(Q, np.exp(Z / 2.5) / np.exp(Z / 2.5).sum(axis=0), atol=1e-12)
    assert np.array_equal(Q.argmax(axis=0), P.argmax(axis=0))
    assert (Q.max(axis=0) < P.max(axis=0)).all()


def test_fitted_temperature_is_the_nll_minimum_and_undoes_overconfidence():
    rng = np.random.default_rng(1)
    m = 3000
    Z = rng.standard_normal((10, m)) * 2
    y = (np.cumsum(np.exp(Z) / np.exp(Z).sum(axis=0), axis=0) < rng.random(m)).sum(axis=0)  # y ~ softmax(Z)
    P = scale(np.exp(Z) / np.exp(Z).sum(axis=0), 1 / 3)          # 3x too sure: T should be ~3
    T = fit_temperature(P, y)
    grid = np.exp(np.linspace(np.log(0.05), np.log(20), 121))           # 5% apart
    assert nll(P, y, T) <= nll(P, y, grid).min()
    assert nll(P, y, T) < min(nll(P, y, T * 1.001), nll(P, y, T / 1.001))
    assert 2.5 < T < 3.5
    assert ece(scale(P, T), y) < ece(P, y) / 3


def test_scaled_params_are_the_calibrated_network():
    from fnn.layers import Conv, Dense, Flatten, Input
    net = [Input(1, 4, 4), Conv(2, 3), "relu", Flatten(), Dense(5), "softmax"]
    params = fnn.init_params(net, seed=0, dtype=np.float64)
    X = np.random.default_rng(0).random((16, 3))
    np.testing.assert_allclose(fnn.predict_proba(scaled_params(params, 2.5), X, net),
                               scale(fnn.predict_proba(params, X, net), 2.5), atol=1e-12)


def test_model_temperature_defaults_to_1():
    assert model_temperature({}) == 1.0 and model_temperature({"temperature": 1.7}) == 1.7
    assert model_temperature({"temperature": "hot"}) == 1.0 and model_temperature({"temperature": -1}) == 1.0


# ---- the command lines -------------------------------------------------------------------------

@pytest.fixture
def small_model(tmp_path):
    """A 784-16-10 MLP trained a little on 600 rows, saved in tmp_path."""
    from fnn.io.data import load_csv
    X, y = load_csv(DATA / "mnist_train.csv.gz", max_rows=600)
    params = fnn.init_params([784, 16, 10], seed=0)
    for _ in range(60):
        AL, cache = fnn.forward(params, X)
        params = fnn.update(params, fnn.backward(params, cache, y), 0.5)
    path = tmp_path / "m.npz"
    fnn.save(path, params, meta={"network": "784-16-10"})
    return path


def test_evaluate_prints_ece_before_and_after(train_in_process, small_model, tmp_path):
    code, out, err = train_in_process("--evaluate", small_model, "--max-rows", 300,
                                      "--errors-png", tmp_path / "e.png")
    assert code == 0, err
    line = next(l for l in out.splitlines() if l.startswith("calibration"))
    assert "ECE" in line and "T = 1" in line
    assert (tmp_path / "e.png").exists()


def test_calibrate_writes_the_temperature_and_the_pad_uses_it(train_in_process, small_model, capsys):
    before = os.path.getmtime(small_model)
    params, layers, _ = fnn.load(small_model)
    code, out, err = train_in_process("--calibrate", small_model, "--max-rows", 2000)
    assert code == 0, err
    params2, layers2, meta = fnn.load(small_model)
    T = meta["temperature"]
    assert T != 1.0 and meta["network"] == "784-16-10" and "calibrated on" in meta["calibration"]
    assert all(np.array_equal(params[k], params2[k]) for k in params)
    assert f"{T:.3g}" in out and os.path.getmtime(small_model) >= before
    from fnnapp.views.teaching import analyse
    from fnn.io.data import load_csv
    x = load_csv(DATA / "mnist_test.csv.gz", max_rows=1)[0][:, 0].reshape(28, 28)
    shown = analyse((params2, layers2, meta), x)["probs"]
    raw = analyse((params2, layers2, {}), x)["probs"]
    np.testing.assert_allclose(shown, scale(raw[:, None], T)[:, 0], atol=1e-6)
    assert not np.allclose(shown, raw, atol=1e-4)


def test_calibrate_on_too_few_validation_rows_is_refused(train_in_process, small_model):
    before = open(small_model, "rb").read()
    code, out, err = train_in_process("--calibrate", small_model, "--max-rows", 300)   # 30 held out
    assert code == 2 and one_line(err, "30 validation rows", "--max-rows")
    assert open(small_model, "rb").read() == before


def test_calibrate_a_missing_model_is_one_line_and_writes_nothing(train_in_process, tmp_path):
    code, out, err = train_in_process("--calibrate", tmp_path / "none.npz")
    assert code == 2 and len(err) == 1 and "none.npz" in err[0]
    assert list(tmp_path.iterdir()) == []
