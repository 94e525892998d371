"""Loss functions J(A[L], Y) averaged over the m examples of a batch, and one-hot targets.

Shapes: A[L] and Y are (n[L], m), one example per column. Labels may be given as (m,)
integers anywhere a target is expected; `targets` turns them into one-hot columns.
"""
import numpy as np


def one_hot(y, n_classes=10, dtype=np.float32):
    """Labels y (m,) of integers 0..n_classes-1  ->  Y (n_classes, m) with Y[y[j], j] = 1."""
    y = np.asarray(y)
    Y = np.zeros((n_classes, y.shape[0]), dtype=dtype)
    Y[y, np.arange(y.shape[0])] = 1
    return Y


def targets(Y, AL):
    """Y as labels (m,) or one-hot (n[L], m)  ->  float targets shaped and typed like AL."""
    Y = np.asarray(Y)
    if Y.ndim == 1:
        if AL.shape[0] == 1:  # a single sigmoid unit: labels are the 0/1 targets themselves
            return Y.reshape(1, -1).astype(AL.dtype)
        return one_hot(Y, AL.shape[0], AL.dtype)
    if Y.shape != AL.shape:
        raise ValueError(f"targets have shape {Y.shape}, network output has shape {AL.shape}")
    return Y.astype(AL.dtype, copy=False)


def _safe_log(A):
    """log(A) with A floored at the smallest positive float: finite for A = 0, never NaN."""
    return np.log(np.maximum(A, np.finfo(A.dtype).tiny))


def cross_entropy(AL, Y):
    """J = -(1/m) sum_j sum_k Y[k, j] log A[L][k, j]   (softmax output, categorical targets)."""
    Y = targets(Y, AL)
    return float(-(Y * _safe_log(AL)).sum() / AL.shape[1])


def binary_cross_entropy(AL, Y):
    """J = -(1/m) sum [Y log A[L] + (1 - Y) log(1 - A[L])]   (sigmoid output units)."""
    Y = targets(Y, AL)
    return float(-(Y * _safe_log(AL) + (1 - Y) * _safe_log(1 - AL)).sum() / AL.shape[1])


def mse(AL, Y):
    """J = (1/2m) sum_j ||A[L][:, j] - Y[:, j]||^2; its per-example gradient is dA[L] = A[L] - Y."""
    Y = targets(Y, AL)
    return float(((AL - Y) ** 2).sum() / (2 * AL.shape[1]))


def l2_penalty(params, lambd, m):
    """(lambda / 2m) sum_l ||W[l]||_F^2, added to J when L2 regularisation is on (biases excluded)."""
    if not lambd:
        return 0.0
    return float(lambd / (2 * m) * sum(float((W.astype(np.float64) ** 2).sum())
                                       for k, W in params.items() if k.startswith("W")))


def l2_gradient(W, lambd, m):
    """d/dW of l2_penalty: (lambda / m) W[l], added to dW[l] (a new array; W is not changed)."""
    return (lambd / m) * W


def add_l2(grads, params, lambd, m):
    """grads with dW[l] += (lambda / m) W[l] for every l (new arrays), the gradient of l2_penalty;
    grads itself when lambda is 0. The one place L2 enters a gradient (fnn.backward, and
    fnn.training's sharded step after summing its shards)."""
    if not lambd:
        return grads
    return {k: g + l2_gradient(params[k[1:]], lambd, m) if k.startswith("dW") else g
            for k, g in grads.items()}


LOSSES = ("cross_entropy", "mse")


def l1_penalty(params, lambd, m):
    """(lambda / m) sum_l ||W[l]||_1, added to J when L1 regularisation is on (biases excluded)."""
    if not lambd:
        return 0.0
    return float(lambd / m * sum(float(np.abs(W.astype(np.float64)).sum())
                                 for k, W in params.items() if k.startswith("W")))


def l1_gradient(W, lambd, m):
    """d/dW of l1_penalty: (lambda / m) sign(W[l]) (0 where W = 0), added to dW[l]."""
    return (lambd / m) * np.sign(W)
