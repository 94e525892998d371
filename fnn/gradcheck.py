"""Finite-difference gradient checking: the proof that backward() is the derivative of the loss.

For every parameter entry theta_i, the central difference
    g_i = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)
is compared with backward()'s d_theta_i by the relative error
    ||g - d_theta|| / (||g|| + ||d_theta||),
which in float64 is far below 1e-6 (the tests' tolerance) for a correct backward pass, and
of order 0.1 to 1 for a wrong one (tests/test_gradients.py checks both).
This loops over parameters one by one: a test tool for small networks, not a training path.
"""
import numpy as np

from fnn.network import backward, compute_loss, forward


def relative_error(a, b):
    """||a - b|| / (||a|| + ||b||), 0 when both are 0."""
    a, b = np.ravel(a), np.ravel(b)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def loss_function(X, Y, layers=None, loss="cross_entropy", l2=0.0, dropout=0.0, seed=0):
    """J(params) for fixed data. With dropout, every call draws the same mask from the same seed."""
    def J(params):
        rng = np.random.default_rng(seed) if dropout else None
        _, cache = forward(params, X, layers, dropout, rng)
        return compute_loss(cache, Y, loss, params, l2)
    return J


def numerical_gradients(J, params, eps=1e-6):
    """{"dW1": ..., ...} by central differences of J around params (params are not modified)."""
    grads = {}
    for k, p in params.items():
        g = np.zeros_like(p, dtype=np.float64)
        for idx in np.ndindex(p.shape):
            plus, minus = p.copy(), p.copy()
            plus[idx] += eps
            minus[idx] -= eps
            g[idx] = (J({**params, k: plus}) - J({**params, k: minus})) / (2 * eps)
        grads["d" + k] = g
    return grads


def check_gradients(params, X, Y, layers=None, loss="cross_entropy", l2=0.0, dropout=0.0, seed=0,
                    eps=1e-6):
    """Largest relative error over all parameters between backward() and finite differences,
    and the per-key errors: (max_error, {"dW1": err, ...}). Use float64 params and X.
    layers: as for forward (a layer list, dense sizes, or None for params' dense network)."""
    J = loss_function(X, Y, layers, loss, l2, dropout, seed)
    rng = np.random.default_rng(seed) if dropout else None
    _, cache = forward(params, X, layers, dropout, rng)
    analytic = backward(params, cache, Y, loss, l2)
    numeric = numerical_gradients(J, params, eps)
    errors = {k: relative_error(analytic[k], numeric[k]) for k in numeric}
    return max(errors.values()), errors


def check_input_gradient(params, X, Y, layers=None, loss="cross_entropy", eps=1e-6):
    """Relative error between backward(..., input_grad=True)["dX"] and the central differences
    of J with respect to every entry of X (n0, m). Use float64 params and X."""
    J = lambda x: compute_loss(forward(params, x["X"], layers)[1], Y, loss)     # noqa: E731
    _, cache = forward(params, X, layers)
    analytic = backward(params, cache, Y, loss, input_grad=True)["dX"]
    return relative_error(analytic, numerical_gradients(J, {"X": X}, eps)["dX"])
