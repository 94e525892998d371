"""Write your own backprop: the four functions of a dense network, from docs/math.md.

Copy this file, fill in the four functions in order, and check each one as you go:

    cp exercises/network.py my_network.py
    python -m fnn.exercise my_network.py          # one line per check, in the order below
    python train.py --impl my_network.py --hidden 128 --epochs 2     # MNIST (docs/exercise_run.md)
    python train.py --impl my_network.py --watch  # ... and watch it learn
    python draw.py --impl my_network.py --model models/my_network.npz    # it reads your drawings

The network: dense layers, relu on every hidden layer, softmax at the output,
cross-entropy loss. Everything is column-major, one example per column (docs/exercises.md):

    X = A[0]      (n[0], m)       n[0] = 784 pixels, m examples
    W[l]          (n[l], n[l-1])  params["W1"], params["W2"], ...
    b[l]          (n[l], 1)       params["b1"], ...
    Z[l], A[l]    (n[l], m)
    Y             (n[L], m)       one-hot columns: Y[k, j] = 1 when example j is digit k

Only NumPy. The section and equation numbers (§1, BP1-BP4) are those of docs/math.md.
"""
import numpy as np  # noqa: F401  (you will need it)


def init_params(layer_dims, seed=None):
    """Random weights, zero biases, for layer_dims = [n[0], n[1], ..., n[L]].

    §5 (He, for layers that feed a relu):
        W[l] ~ N(0, 2 / n[l-1])        shape (n[l], n[l-1])   the fan-in n[l-1]
        b[l] = 0                       shape (n[l], 1)
    The output layer may use He too (or Glorot, 2 / (n[l-1] + n[l])).
    seed: draw from rng = np.random.default_rng(seed), so the same seed gives the same params.
    Returns {"W1": ..., "b1": ..., ..., "WL": ..., "bL": ...}.
    """
    raise NotImplementedError("init_params: W[l] ~ N(0, 2 / n[l-1]), b[l] = 0")


def forward(params, X):
    """Forward propagation, §1. X: (n[0], m).

    L = len(params) // 2 layers, any number: the checker uses 3, train.py as many as --hidden makes.
    For l = 1 ... L:
        Z[l] = W[l] @ A[l-1] + b[l]                  (n[l], m), b broadcast over the m columns
        A[l] = relu(Z[l]) = max(0, Z[l])             hidden layers, l < L
        A[L] = softmax(Z[L])                         the output layer
    softmax (§1, Softmax output), one distribution per column:
        A[L][i, j] = exp(Z[L][i, j]) / sum_k exp(Z[L][k, j])
        subtract each column's max from Z[L] first: the same result, and no overflow.
    Returns (AL, cache): AL = A[L] (n[L], m); cache = whatever backward needs (a dict of
    the A[l] and Z[l] is the usual choice: the checker never looks inside it).
    """
    raise NotImplementedError("forward: Z[l] = W[l] @ A[l-1] + b[l], A[l] = g(Z[l])")


def backward(params, cache, Y):
    """Backpropagation, §3: the gradient of the mean cross-entropy (§2)
        J = -(1/m) sum_j sum_k Y[k, j] log A[L][k, j]
    with Y (n[L], m) one-hot and cache from forward.

        BP1  dZ[L]   = A[L] - Y                          (n[L], m)   softmax with cross-entropy
        BP2  dA[l-1] = W[l].T @ dZ[l]                    (n[l-1], m)
             dZ[l-1] = dA[l-1] * relu'(Z[l-1])           relu'(Z) = 1 where Z > 0, else 0
        BP3  db[l]   = (1/m) sum over the examples j of dZ[l][:, j]    (n[l], 1)
        BP4  dW[l]   = (1/m) dZ[l] @ A[l-1].T            (n[l], n[l-1]), like W[l]
    for l = L, L-1, ..., 1.
    Returns {"dW1": ..., "db1": ..., ..., "dWL": ..., "dbL": ...}, each shaped like its parameter.
    """
    raise NotImplementedError("backward: BP1-BP4 of docs/math.md §3")


def update(params, grads, learning_rate):
    """Gradient descent, §4, with learning rate alpha:
        W[l] := W[l] - alpha dW[l]        b[l] := b[l] - alpha db[l]
    Returns a NEW dict; params itself stays as it was (the caller may still need it).
    """
    raise NotImplementedError("update: W[l] := W[l] - alpha dW[l]")
