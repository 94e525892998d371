"""Activation functions A = g(Z) and their backward passes dZ = dA * g'(Z).

Every activation is a pair of pure functions on arrays of any shape (the network
calls them on Z[l] of shape (n[l], m), or (C, H, W, m) after a convolution):

    forward(Z)        -> A  = g(Z)
    backward(dA, A)   -> dZ = dA * g'(Z)          (BP2, the elementwise factor)

The derivative is written in terms of the output A, which is all the cache keeps:
relu'(Z) = [A > 0], sigmoid'(Z) = A (1 - A), tanh'(Z) = 1 - A^2.
"""
import numpy as np

LEAKY_SLOPE = 0.01


def relu(Z):
    """A = max(0, Z)."""
    return np.maximum(Z, 0)


def relu_backward(dA, A):
    """dZ = dA * [Z > 0]   (A > 0 exactly where Z > 0)."""
    return dA * (A > 0)


def leaky_relu(Z):
    """A = Z if Z > 0 else 0.01 Z."""
    return np.where(Z > 0, Z, Z * LEAKY_SLOPE)


def leaky_relu_backward(dA, A):
    """dZ = dA * (1 if Z > 0 else 0.01)."""
    return np.where(A > 0, dA, dA * LEAKY_SLOPE)


def sigmoid(Z):
    """A = 1 / (1 + exp(-Z)), computed as (1 + tanh(Z/2)) / 2: no overflow for any Z."""
    return 0.5 * (1 + np.tanh(0.5 * Z))


def sigmoid_backward(dA, A):
    """dZ = dA * A (1 - A)."""
    return dA * A * (1 - A)


def tanh(Z):
    """A = tanh(Z)."""
    return np.tanh(Z)


def tanh_backward(dA, A):
    """dZ = dA * (1 - A^2)."""
    return dA * (1 - A * A)


def softmax(Z):
    """A[i, j] = exp(Z[i, j]) / sum_k exp(Z[k, j]), one distribution per column.

    Subtracting each column's max first changes nothing mathematically and keeps exp()
    in range, so |Z| = 1e4 gives exact one-hots instead of inf/inf = NaN.
    """
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def softmax_backward(dA, A):
    """dZ = A * (dA - sum_k dA[k] A[k])   (the softmax Jacobian applied to dA, per column).

    Only needed when softmax is followed by a loss other than cross-entropy; with
    cross-entropy the network uses the fused dZ[L] = A[L] - Y instead.
    """
    return A * (dA - (dA * A).sum(axis=0, keepdims=True))


# name -> (forward, backward); the names are what layer lists and model files use.
ACTIVATIONS = {
    "relu": (relu, relu_backward),
    "leaky_relu": (leaky_relu, leaky_relu_backward),
    "sigmoid": (sigmoid, sigmoid_backward),
    "tanh": (tanh, tanh_backward),
    "softmax": (softmax, softmax_backward),
}
HIDDEN_ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")
OUTPUT_ACTIVATIONS = ("softmax", "sigmoid")


def linear(Z):
    """A = Z: no nonlinearity (a network of linear layers is one linear map)."""
    return Z


def linear_backward(dA, A):
    """dZ = dA   (g'(Z) = 1)."""
    return dA


ACTIVATIONS["linear"] = (linear, linear_backward)
HIDDEN_ACTIVATIONS += ("linear",)
