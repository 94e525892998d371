"""fnn.analysis.explain: the log-probability gradient against finite differences, and the X-ray's
step-by-step walk held to fnn.forward and fnn.backward."""
from pathlib import Path

import numpy as np
import pytest

import fnn
from fnn.analysis.explain import BP1, log_prob_gradient, xray
from fnn.gradcheck import numerical_gradients, relative_error
from fnn.layers import Conv, Dense, Flatten, Input, MaxPool

ROOT = Path(__file__).resolve().parent.parent
NETS = {
    "mlp": [Input(16), Dense(8), "relu", Dense(5), "softmax"],
    "cnn": [Input(1, 6, 6), Conv(3, 3, pad=1), "relu", MaxPool(2), Conv(4, 2), "tanh",
            Flatten(), Dense(5), "softmax"],
}


def problem(name, seed=0):
    rng = np.random.default_rng(seed)
    layers = fnn.layers.as_layers(NETS[name])
    params = fnn.init_params(layers, seed=seed, dtype=np.float64)
    params = {k: (rng.standard_normal(v.shape) * 0.3 if k.startswith("b") else v) for k, v in params.items()}
    n0 = int(np.prod(layers[0]["shape"]))
    return params, layers, rng.random(n0)


@pytest.mark.parametrize("name", NETS)
def test_log_prob_gradient_is_the_derivative_of_log_p(name):
    params, layers, x = problem(name)
    c, G = log_prob_gradient(params, x, layers)
    probs = fnn.forward(params, x.reshape(-1, 1), layers)[0][:, 0]
    assert c == int(probs.argmax()) and G.shape == x.shape
    logp = lambda d: float(np.log(fnn.forward(params, d["x"].reshape(-1, 1), layers)[0][c, 0]))  # noqa: E731
    assert relative_error(G, numerical_gradients(logp, {"x": x})["dx"]) < 1e-6


@pytest.mark.parametrize("name", NETS)
@pytest.mark.parametrize("label", [None, 2])
def test_xray_agrees_with_forward_and_backward(name, label):
    params, layers, x = problem(name, seed=1)
    ray = xray(params, x, layers, label)
    AL, cache = fnn.forward(params, x.reshape(-1, 1), layers)
    y = int(AL.argmax()) if label is None else label
    grads = fnn.backward(params, cache, np.array([y]), input_grad=True)
    np.testing.assert_allclose(ray["probs"], AL[:, 0], rtol=1e-12)
    np.testing.assert_allclose(ray["dZL"], AL[:, 0] - np.eye(5)[y], rtol=1e-12)
    np.testing.assert_allclose(ray["dX"], grads["dX"][:, 0], rtol=1e-10, atol=1e-14)
    weighted = [s for s in ray["steps"] if s["l"] is not None]
    assert [s["l"] for s in weighted] == list(range(1, len(grads) // 2 + 1))
    for s in weighted:
        l = s["l"]
        assert s["dW_norm"] == pytest.approx(np.linalg.norm(grads[f"dW{l}"]), rel=1e-10)
        assert s["db_norm"] == pytest.approx(np.linalg.norm(grads[f"db{l}"]), rel=1e-10)
    for s, spec in zip(ray["steps"], cache["layers"][1:]):
        assert s["spec"] == spec and s["out"].shape == s["grad"].shape


def test_xray_gradients_are_the_derivatives_of_each_layers_output():
    """grad of a hidden step = dJ/d(its output): perturbing the output of the first conv
    through a finite difference of the rest of the network gives the same numbers."""
    params, layers, x = problem("cnn", seed=2)
    ray = xray(params, x, layers, label=1)
    first = ray["steps"][0]                   # Z[1] of the conv, (3, 6, 6)
    rest = [layers[0] | {"shape": list(first["out"].shape)}] + layers[2:]
    rest_params = {f"W{l - 1}": params[f"W{l}"] for l in (2, 3)} | {f"b{l - 1}": params[f"b{l}"] for l in (2, 3)}
    J = lambda d: fnn.compute_loss(fnn.forward(rest_params, d["z"].reshape(-1, 1), rest)[1], [1])  # noqa: E731
    numeric = numerical_gradients(J, {"z": first["out"].copy()})["dz"]
    assert relative_error(first["grad"], numeric) < 1e-6


def test_every_math_line_is_in_docs_math_md():
    text = (ROOT / "docs" / "math.md").read_text(encoding="utf-8")
    lines = [BP1] + [line for kind in fnn.layers.KINDS.values() for line in (kind.math, kind.dx_math) if line]
    missing = [line for line in lines if line not in text]
    assert not missing


@pytest.mark.parametrize("name, first", [("mlp", "W[1].T @ dZ[1]"), ("cnn", "col2im")])
def test_xray_names_the_first_weighted_layers_dx_line(name, first):
    params, layers, x = problem(name)
    assert first in xray(params, x, layers)["dX_math"]
