"""Per-layer health of a training step, from params, grads and the forward cache.

    AL, cache = forward(params, Xb, layers)
    grads = backward(params, cache, Y)
    new = update(params, grads, 0.1)
    layer_stats(params, grads, cache, new)
    # {"W1": {"grad_norm": 0.41, "update_ratio": 1.1e-3, "dead": 0.02}, "W2": {...}, ...}

Three numbers a layer, the usual signs of a healthy or a sick network (Karpathy, "A Recipe
for Training Neural Networks"; CS231n, "Babysitting the learning process"):
the gradient norm (vanishing or exploding), the update-to-weight ratio (about 1e-3 a step
is the rule of thumb: much lower learns slowly, much higher is unstable), and the fraction of
ReLU units that no example of the batch turns on (dead units learn nothing).
Pure functions; nothing here changes params, grads or the cache.
"""
import numpy as np

from fnn.layers import KINDS


def frobenius(a):
    """||a||_F = sqrt(sum_ij a_ij^2), accumulated in float64 (float32 sums of 10^5 squares lose digits)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    return float(np.sqrt(a @ a))


def grad_norms(grads):
    """{"W1": ||dW[1]||_F, "W2": ...}: the size of each layer's weight gradient."""
    return {k[1:]: frobenius(g) for k, g in grads.items() if k.startswith("dW")}


def update_ratios(params, new_params):
    """{"W1": ||W'[1] - W[1]||_F / ||W[1]||_F, ...}: how far one step moved each weight matrix,
    relative to its size. For plain gradient descent W' - W = -alpha dW, so the ratio is
    alpha ||dW|| / ||W||; for momentum and Adam it is the step they really took.
    inf for an all-zero W that moved, 0 for one that did not."""
    out = {}
    for k, W in params.items():
        if k.startswith("W"):
            step, size = frobenius(new_params[k] - W), frobenius(W)
            out[k] = step / size if size > 0 else (np.inf if step > 0 else 0.0)
    return out


def dead_fractions(cache):
    """{"W1": fraction, ...}: for each weight layer l followed (before the next weight layer)
    by a relu, the fraction of its units whose relu output is 0 for every example of the batch:

        dead[l] = (1/n[l]) #{ i : A[l][i, j] = 0 for all j }

    A unit is a row of a dense layer, a channel of a conv (0 at every position of every
    example). Layers not followed by a relu (the output, tanh, leaky_relu) are left out.
    cache: the forward cache (fnn.network.forward); its "out" is each entry's output before dropout."""
    out, l, seen = {}, 0, False
    for spec, A in zip(cache["layers"][1:], cache["out"][1:]):
        if KINDS[spec["type"]].weighted:
            l, seen = l + 1, False
        elif spec["type"] == "relu" and l and not seen:
            seen = True
            units = A.reshape(A.shape[0], -1)       # (n, m) or (C, H*W*m): one row a unit
            out[f"W{l}"] = float(np.mean(~units.any(axis=1)))
    return out


def layer_stats(params, grads, cache, new_params):
    """The three per-layer numbers of one step, {"W1": {"grad_norm", "update_ratio", "dead"}, ...},
    "dead" None for a layer without a relu after it. params: before the step; grads and cache:
    the step's backward and forward; new_params: after the step."""
    norms, ratios, dead = grad_norms(grads), update_ratios(params, new_params), dead_fractions(cache)
    return {k: {"grad_norm": norms[k], "update_ratio": ratios[k], "dead": dead.get(k)}
            for k in sorted(norms, key=lambda k: int(k[1:]))}            # W1, W2, ... W10
