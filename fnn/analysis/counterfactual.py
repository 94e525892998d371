"""What would make it a 7? The smallest, sparsest change of the input that the network reads as
the target class, found by projected (proximal) gradient descent on the pixels.

    X_new = counterfactual(params, X, target)        # X (784, m) in [0, 1], target (m,)

For each column x (n0,) with target t, minimise over x' in the box [0, 1]^n0

    F(x') = -log p_t(x') + lam ||x' - x||_1

The first term is backward's cross-entropy for label t, whose gradient is m dX (fnn.backward's
dX is over m); the L1 term keeps the change sparse. One step of size eta (ISTA):

    v      = x'_k - eta d(-log p_t)/dx'_k - x                  the gradient step, as a change d
    d      = clip(sign(v) max(|v| - eta lam, 0), -x, 1 - x)    soft-threshold, then the box
    x'_k+1 = x + d

(the prox of lam |d| plus the box [-x, 1 - x], which contains 0, is the soft-threshold
clipped to the box). A column stops as soon as p_t(x') >= stop, or after `steps` steps.
docs/math.md section 9.
"""
import numpy as np

from fnn.network import backward, forward


def counterfactual(params, X, target, layers=None, steps=200, eta=0.02, lam=0.1, stop=0.5):
    """X_new (n0, m): each column of X (n0, m, values in [0, 1]) moved towards its target class
    target (m,) by at most `steps` proximal gradient steps of F above (eta the step, lam the L1
    weight), stopping a column once p_target >= stop. X_new stays in [0, 1]; pure (X untouched).
    Vectorised over columns: one forward and backward pass of the still-moving columns a step."""
    X = np.asarray(X, dtype=params["W1"].dtype)
    target = np.asarray(target).reshape(-1)
    classes = forward(params, X[:, :1], layers)[0].shape[0]
    if target.shape != X.shape[1:] or target.dtype.kind not in "iu" or \
            not ((0 <= target) & (target < classes)).all():
        raise ValueError(f"target must be {X.shape[1]} class numbers in 0..{classes - 1}, one a column of X")
    X_new = X.copy()
    moving = np.arange(X.shape[1])                   # the columns still below `stop`
    for _ in range(steps):
        AL, cache = forward(params, X_new[:, moving], layers)
        below = AL[target[moving], np.arange(moving.size)] < stop
        if not below.any():
            break
        dX = backward(params, cache, target[moving], input_grad=True)["dX"] * moving.size
        moving, grad = moving[below], dX[:, below]   # column j's gradient of -log p_t(x'_j)
        x = X[:, moving]
        v = X_new[:, moving] - eta * grad - x
        X_new[:, moving] = x + np.clip(np.sign(v) * np.maximum(np.abs(v) - eta * lam, 0), -x, 1 - x)
    return X_new
