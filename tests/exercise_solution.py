"""A correct solution of exercises/network.py, written straight from docs/math.md (no fnn import).

tests/test_exercise.py checks that it passes every check of `python -m fnn.exercise`, and makes
the classic mistakes from it by replacing one piece of text (MISTAKES there).
"""
import numpy as np


def init_params(layer_dims, seed=None):
    """W[l] ~ N(0, 2 / n[l-1]) (He), b[l] = 0   (docs/math.md §5)."""
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(layer_dims)):
        scale = np.sqrt(2.0 / layer_dims[l - 1])
        params[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * scale
        params[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return params


def softmax(Z):
    """A[i, j] = exp(Z[i, j]) / sum_k exp(Z[k, j]), shifted by each column's max (§1)."""
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def forward(params, X):
    """Z[l] = W[l] @ A[l-1] + b[l]; A[l] = relu(Z[l]), softmax at the output (§1)."""
    L = len(params) // 2
    A = X
    cache = {"A0": X}
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        A = softmax(Z) if l == L else np.maximum(Z, 0)
        cache[f"Z{l}"], cache[f"A{l}"] = Z, A
    return A, cache


def backward(params, cache, Y):
    """BP1-BP4 (§3): the gradient of the mean cross-entropy over the m examples."""
    L = len(params) // 2
    m = Y.shape[1]
    grads = {}
    dZ = cache[f"A{L}"] - Y                                     # BP1
    for l in range(L, 0, -1):
        grads[f"dW{l}"] = dZ @ cache[f"A{l - 1}"].T / m           # BP4
        grads[f"db{l}"] = dZ.sum(axis=1, keepdims=True) / m       # BP3
        if l > 1:
            dA = params[f"W{l}"].T @ dZ                          # BP2
            dZ = dA * (cache[f"Z{l - 1}"] > 0)
    return grads


def update(params, grads, learning_rate):
    """W[l] := W[l] - alpha dW[l], b[l] := b[l] - alpha db[l]   (§4), as a new dict."""
    return {k: v - learning_rate * grads["d" + k] for k, v in params.items()}
