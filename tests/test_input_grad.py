"""backward(..., input_grad=True)["dX"] against finite differences of J with respect to X:
dense, conv with and without padding and stride, a whole CNN; float64."""
import numpy as np
import pytest

import fnn
from fnn.gradcheck import check_input_gradient, numerical_gradients, relative_error
from fnn.layers import Conv, Dense, Flatten, Input, MaxPool

TOL = 1e-6


def with_random_biases(params, rng):
    return {k: (rng.standard_normal(v.shape) * 0.5 if k.startswith("b") else v) for k, v in params.items()}


def problem(net, m=3, seed=0):
    rng = np.random.default_rng(seed)
    layers = fnn.layers.as_layers(net)
    params = with_random_biases(fnn.init_params(layers, seed=seed, dtype=np.float64), rng)
    n0 = int(np.prod(layers[0]["shape"]))
    return params, layers, rng.standard_normal((n0, m)), rng.integers(0, 4, m)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_dense_input_gradient(activation, loss):
    rng = np.random.default_rng(1)
    layers = fnn.layers.dense_layers([6, 5, 5, 4], activation)
    params = with_random_biases(fnn.init_params(layers, seed=2, dtype=np.float64), rng)
    X, y = rng.standard_normal((6, 7)), rng.integers(0, 4, 7)
    assert check_input_gradient(params, X, y, layers, loss=loss) < TOL


@pytest.mark.parametrize("k,s,p", [(3, 1, 0), (3, 1, 1), (3, 2, 1), (2, 2, 0), (5, 2, 2)])
def test_first_conv_input_gradient(k, s, p):
    """A conv as the first layer: dX is col2im of W_mat.T @ dZ, cropped by the padding."""
    params, layers, X, y = problem([Input(2, 7, 6), Conv(3, k, stride=s, pad=p), "tanh",
                                    Flatten(), Dense(4), "softmax"])
    assert check_input_gradient(params, X, y, layers) < TOL


def test_whole_cnn_input_gradient():
    params, layers, X, y = problem([Input(1, 9, 9), Conv(3, 3, pad=1), "relu", MaxPool(3, 2),
                                    Conv(4, 2, stride=1), "tanh", Flatten(), Dense(6), "relu",
                                    Dense(4), "softmax"], m=2, seed=3)
    assert check_input_gradient(params, X, y, layers) < TOL


def test_input_gradient_leaves_the_parameter_gradients_alone():
    params, layers, X, y = problem([Input(1, 6, 6), Conv(2, 3), "relu", Flatten(), Dense(4), "softmax"])
    _, cache = fnn.forward(params, X, layers)
    plain = fnn.backward(params, cache, y)
    with_dx = fnn.backward(params, cache, y, input_grad=True)
    assert set(with_dx) == set(plain) | {"dX"} and with_dx["dX"].shape == X.shape
    assert all(np.array_equal(plain[k], with_dx[k]) for k in plain)


def test_the_input_check_catches_a_wrong_gradient():
    """Drop the 1/m and the check fails."""
    params, layers, X, y = problem([Input(5), Dense(4), "relu", Dense(4), "softmax"], m=4)
    _, cache = fnn.forward(params, X, layers)
    dX = fnn.backward(params, cache, y, input_grad=True)["dX"]
    J = lambda d: fnn.compute_loss(fnn.forward(params, d["X"], layers)[1], y)   # noqa: E731
    numeric = numerical_gradients(J, {"X": X})["dX"]
    assert relative_error(dX, numeric) < TOL
    assert relative_error(dX * X.shape[1], numeric) > 0.1
