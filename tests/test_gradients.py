"""backward() against finite differences: every hidden activation x both losses x depth 1-3,
with L2, with dropout under a fixed mask, and with a sigmoid output."""
import numpy as np
import pytest

import fnn
from fnn.gradcheck import check_gradients, relative_error
from fnn.layers import dense_layers

TOL = 1e-6


def problem(depth, seed=0, n_in=6, n_hidden=5, n_out=4, m=8):
    """A float64 dense net of `depth` weight layers with random non-zero biases
    (zero biases put ReLU units exactly on their kink, where no derivative exists)."""
    rng = np.random.default_rng(seed)
    dims = [n_in] + [n_hidden] * (depth - 1) + [n_out]
    X = rng.standard_normal((n_in, m))
    y = rng.integers(0, n_out, m)
    return dims, X, y, rng


def with_random_biases(params, rng):
    return {k: (rng.standard_normal(v.shape) * 0.5 if k.startswith("b") else v) for k, v in params.items()}


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "sigmoid", "tanh"])
def test_backward_matches_finite_differences(activation, loss, depth):
    dims, X, y, rng = problem(depth, seed=depth)
    net = dense_layers(dims, activation)
    params = with_random_biases(fnn.init_params(net, seed=1, dtype=np.float64), rng)
    err, per_key = check_gradients(params, X, y, net, loss=loss)
    assert err < TOL, per_key


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_backward_with_l2(activation):
    dims, X, y, rng = problem(3, seed=7)
    net = dense_layers(dims, activation)
    params = with_random_biases(fnn.init_params(net, seed=2, dtype=np.float64), rng)
    err, per_key = check_gradients(params, X, y, net, l2=0.7)
    assert err < TOL, per_key


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_backward_with_dropout_under_a_fixed_mask(loss):
    dims, X, y, rng = problem(3, seed=11)
    net = dense_layers(dims, "leaky_relu")
    params = with_random_biases(fnn.init_params(net, seed=3, dtype=np.float64), rng)
    err, per_key = check_gradients(params, X, y, net, loss=loss, dropout=0.4, seed=5)
    assert err < TOL, per_key


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_backward_with_sigmoid_output(loss):
    dims, X, _, rng = problem(2, seed=13)
    Y = (rng.random((4, 8)) < 0.5).astype(np.float64)   # multi-label targets
    net = dense_layers(dims, "tanh", output="sigmoid")
    params = with_random_biases(fnn.init_params(net, seed=4, dtype=np.float64), rng)
    err, per_key = check_gradients(params, X, Y, net, loss=loss)
    assert err < TOL, per_key


def test_one_hot_targets_equal_labels():
    dims, X, y, rng = problem(2)
    params = with_random_biases(fnn.init_params(dims, seed=1, dtype=np.float64), rng)
    _, cache = fnn.forward(params, X)
    a = fnn.backward(params, cache, y)
    b = fnn.backward(params, cache, fnn.one_hot(y, 4, np.float64))
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_the_check_catches_a_wrong_gradient():
    """The gradient check itself can fail: halve one gradient and the error is large."""
    dims, X, y, rng = problem(2)
    params = with_random_biases(fnn.init_params(dims, seed=1, dtype=np.float64), rng)
    _, cache = fnn.forward(params, X)
    good = fnn.backward(params, cache, y)
    from fnn.gradcheck import loss_function, numerical_gradients
    numeric = numerical_gradients(loss_function(X, y), params)
    assert relative_error(good["dW1"], numeric["dW1"]) < TOL
    assert relative_error(good["dW1"] * 0.5, numeric["dW1"]) > 0.1
