"""The network's four functions: init_params, forward, backward, update.

Everything is a plain value. params is a dict of arrays {"W1": ..., "b1": ..., "W2": ...};
a network is either the dense-only form of the derivation,

    params = init_params([784, 128, 10])           # W1 (128, 784), b1 (128, 1), W2 (10, 128), b2 (10, 1)
    AL, cache = forward(params, X)                  # X (784, m), AL (10, m)
    grads = backward(params, cache, Y)              # {"dW1": ..., "db1": ..., ...}
    params = update(params, grads, 0.1)             # a new dict; the old one is untouched

or a layer list (fnn.layers) passed as `layers` to the same functions:

    net = [Input(1, 28, 28), Conv(16, 3, pad=1), "relu", MaxPool(2), Flatten(), Dense(10), "softmax"]
    params = init_params(net)
    AL, cache = forward(params, X, net)

`layers` is read by fnn.layers.as_layers: a layer list, dense sizes, or None for the dense
relu/softmax network that params describe. Other activations come with a list:
fnn.layers.dense_layers([784, 128, 10], "tanh", output="sigmoid").

Equation numbers (BP1-BP4) follow docs/math.md.
"""
from typing import Any, NamedTuple, Optional

import numpy as np

from fnn import activations, layers as L, losses, optimizers


def init_params(layers, *, seed=None, dtype=np.float32):
    """Random weights for a network, zero biases.

    layers: a layer list (fnn.layers) or dense sizes [n0, n1, ..., nL] (relu, softmax).
    seed: an int or an np.random.Generator; the same seed gives the same params, bit for bit,
        with the same NumPy version (the BLAS kernel plays no part here).
    W[l] ~ N(0, 2 / fan_in)             He, when the layer feeds relu or leaky_relu
    W[l] ~ N(0, 2 / (fan_in + fan_out)) Glorot, when it feeds sigmoid, tanh or the output
    with fan_in = n[l-1] for dense layers and C*kh*kw for convolutions.
    Returns {"W1": (n1, n0), "b1": (n1, 1), ...} in `dtype` (float32 trains fastest;
    use float64 for gradient checks).
    """
    net = L.as_layers(layers)
    rng = np.random.default_rng(seed)
    shapes = L.param_shapes(net)
    feeds = _activation_after_each_param_layer(net)
    params = {}
    for l in range(1, len(shapes) // 2 + 1):
        w_shape = shapes[f"W{l}"]
        fan_in = int(np.prod(w_shape[1:]))
        fan_out = int(w_shape[0] * np.prod(w_shape[2:]))
        var = 2.0 / fan_in if feeds[l - 1] in ("relu", "leaky_relu") else 2.0 / (fan_in + fan_out)
        params[f"W{l}"] = (rng.standard_normal(w_shape) * np.sqrt(var)).astype(dtype)
        params[f"b{l}"] = np.zeros(shapes[f"b{l}"], dtype=dtype)
    return params


class Step(NamedTuple):
    """One layer of a forward pass, as backward reads it back."""
    spec: dict                  # the layer (fnn.layers)
    p: Optional[tuple]          # its (W, b), or None for a layer without weights
    cache: Any                  # what the layer's backward needs (fnn.layers.KINDS)
    mask: Optional[np.ndarray]  # dropout's D / (1 - p) on the layer's output, or None


def forward(params, X, layers=None, dropout=0.0, rng=None):
    """Forward propagation: A[0] = X, then for each layer l
        Z[l] = W[l] @ A[l-1] + b[l],   A[l] = g[l](Z[l])          (for dense layers)
    and A[L] = softmax(Z[L]) (or sigmoid) at the output.

    X: (n0, m), one example per column; for image inputs (C*H*W, m), reshaped inside.
    layers: a layer list, dense sizes, or None for the dense network params describe
        (fnn.layers.as_layers).
    dropout: probability p of dropping each hidden activation (training only). Inverted
        dropout: A[l] = A[l] * D[l] / (1 - p) with D[l] ~ Bernoulli(1 - p) drawn from `rng`.
    Returns (AL, cache): AL (n[L], m); cache = {"layers": the canonical list, "AL": AL,
    "steps": one Step per layer after the input}, what backward and compute_loss need.
    """
    net = L.as_layers(layers, params)
    if dropout and not 0 < dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    if dropout and rng is None:
        raise ValueError("dropout needs an explicit rng (np.random.default_rng(seed))")
    dtype = params["W1"].dtype
    m = X.shape[-1]
    A = np.asarray(X).astype(dtype, copy=False).reshape(*net[0]["shape"], m)
    steps, l = [], 0
    last = len(net) - 1
    for i, spec in enumerate(net[1:], start=1):
        kind = L.KINDS[spec["type"]]
        p = None
        if kind.param_shapes is not None:
            l += 1
            p = (params[f"W{l}"], params[f"b{l}"])
        A, cache = kind.forward(spec, p, A)
        mask = None
        if dropout and i < last and spec["type"] in activations.ACTIVATIONS:
            keep = 1.0 - dropout
            mask = (rng.random(A.shape, dtype=A.dtype) < keep) / A.dtype.type(keep)
            A = A * mask
        steps.append(Step(spec, p, cache, mask))
    return A, {"layers": net, "steps": steps, "AL": A}


def backward(params, cache, Y, loss="cross_entropy", l2=0.0, input_grad=False):
    """Backpropagation: the gradient of the mean loss J over the batch.

    Y: labels (m,) or targets (n[L], m).
    loss: "cross_entropy" (with a softmax or sigmoid output, BP1 fuses to dZ[L] = A[L] - Y)
          or "mse" (dA[L] = A[L] - Y, then BP1 dZ[L] = dA[L] * g'(Z[L])).
    l2: lambda of the penalty (lambda/2m) sum ||W||^2, which adds (lambda/m) W[l] to dW[l].
    For each layer, last to first (dense shown):
        dZ[l]   = dA[l] * g'(Z[l])                 BP2
        dW[l]   = (1/m) dZ[l] @ A[l-1].T           BP4
        db[l]   = (1/m) sum over examples of dZ[l] BP3
        dA[l-1] = W[l].T @ dZ[l]
    Returns {"dW1": ..., "db1": ..., ...}, each shaped like its parameter.
    input_grad: also return "dX" = dJ/dX, shaped like X (n0, m): the chain run one step
        further, dA[0] = W[1].T @ dZ[1] (col2im of W_mat.T @ dZ for a first conv), over m
        because J is the mean loss (column j is the gradient of example j's loss, over m).
        The gradient of the answer with respect to the pixels (fnn.analysis.explain).
    """
    steps, AL = cache["steps"], cache["AL"]
    Y = losses.targets(Y, AL)
    m = AL.shape[-1]
    if loss == "cross_entropy":
        d = AL - Y                       # BP1 fused with the output's g': dZ[L] = A[L] - Y
        steps = steps[:-1]               # the output activation's backward is already done
    elif loss == "mse":
        d = AL - Y                       # dA[L] for J = (1/2m) sum ||A[L] - Y||^2
    else:
        raise ValueError(f"unknown loss {loss!r}; choose from {', '.join(losses.LOSSES)}")
    # No layer before the first one with weights needs a gradient: skip W1.T @ dZ1,
    # unless the gradient with respect to X itself is asked for.
    first_param = 0 if input_grad else next(i for i, s in enumerate(steps) if s.p is not None)
    grads = {}
    l = sum(1 for s in steps if s.p is not None)
    for i in range(len(steps) - 1, first_param - 1, -1):
        step = steps[i]
        if step.mask is not None:
            d = d * step.mask            # dropout: the same mask, the same 1/(1-p) scale
        d, g = L.KINDS[step.spec["type"]].backward(step.spec, step.p, d, step.cache,
                                                   i > first_param or input_grad)
        if g is not None:
            dW, db = g
            if l2:
                dW = dW + losses.l2_gradient(step.p[0], l2, m)
            grads[f"dW{l}"], grads[f"db{l}"] = dW, db
            l -= 1
    if input_grad:
        grads["dX"] = d.reshape(-1, m) / m       # dA[0], (C, H, W, m) -> (n0, m), averaged like dW
    return grads


def update(params, grads, learning_rate):
    """Gradient descent: W[l] := W[l] - alpha dW[l], b[l] := b[l] - alpha db[l].
    Returns a new dict; params and grads are not modified. (fnn.optimizers.sgd_update's rule;
    momentum and Adam are there too.)"""
    return optimizers.sgd_update(params, grads, {}, learning_rate)[0]


# Bytes the largest array of one forward pass may take when predicting (see predict_batch).
PREDICT_BYTES = 8 << 20


def predict_batch(params, layers=None):
    """The columns predict runs per forward pass by default: as many as keep the largest array
    of the pass (fnn.layers.largest_array) within PREDICT_BYTES. Why a bound: past the caches,
    larger batches run slower (`python benchmarks/micro.py predict_batch`)."""
    net = L.as_layers(layers, params)
    return max(1, PREDICT_BYTES // (L.largest_array(net) * params["W1"].dtype.itemsize))


def classes(AL):
    """Class labels (m,) from A[L] (n[L], m): argmax over each column, or A[L] > 0.5 for one sigmoid unit."""
    return (AL[0] > 0.5).astype(np.int64) if AL.shape[0] == 1 else AL.argmax(axis=0)


def predict(params, X, layers=None, batch_size=None):
    """Class labels (m,) of the columns of X: classes(A[L]).
    Runs in batches of `batch_size` columns, by default predict_batch(params, layers)."""
    return classes(predict_proba(params, X, layers, batch_size))


def predict_proba(params, X, layers=None, batch_size=None):
    """A[L] (n[L], m) for X (n0, m), computed in batches (default predict_batch), no dropout."""
    X = np.asarray(X)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if batch_size is None:                # one column is one pass at any batch size: skip the sizing
        batch_size = predict_batch(params, layers) if X.shape[1] > 1 else 1
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if X.shape[1] == 0:                   # no examples: A[L] with no columns, of the right height
        return forward(params, np.zeros((X.shape[0], 1), X.dtype), layers)[0][:, :0]
    parts = [forward(params, X[:, j:j + batch_size], layers)[0]
             for j in range(0, X.shape[1], batch_size)]
    return np.concatenate(parts, axis=1)


def accuracy(params, X, Y, layers=None):
    """Fraction of columns of X whose predicted class equals the label (Y as labels or one-hot)."""
    Y = np.asarray(Y)
    labels = Y.argmax(axis=0) if Y.ndim == 2 and Y.shape[0] > 1 else Y.reshape(-1)
    return float(np.mean(predict(params, X, layers) == labels))


def compute_loss(cache, Y, loss="cross_entropy", params=None, l2=0.0):
    """J for the batch of a forward pass (cache from forward, Y labels (m,) or targets (n[L], m)):
    cross-entropy, categorical after a softmax output and binary after a sigmoid one (the
    output read from the cache's network), or mean squared error; plus (lambda/2m) sum ||W||^2
    when l2 > 0."""
    AL, output = cache["AL"], cache["layers"][-1]["type"]
    if loss == "cross_entropy":
        J = losses.cross_entropy(AL, Y) if output == "softmax" else losses.binary_cross_entropy(AL, Y)
    elif loss == "mse":
        J = losses.mse(AL, Y)
    else:
        raise ValueError(f"unknown loss {loss!r}; choose from {', '.join(losses.LOSSES)}")
    return J + (losses.l2_penalty(params, l2, AL.shape[-1]) if l2 else 0.0)


def _activation_after_each_param_layer(net):
    """For each layer with weights, the name of the next activation layer (decides He vs Glorot)."""
    feeds = []
    for i, spec in enumerate(net):
        if spec["type"] in ("dense", "conv"):
            nxt = next((s["type"] for s in net[i + 1:] if s["type"] in activations.ACTIVATIONS), "softmax")
            feeds.append(nxt)
    return feeds
