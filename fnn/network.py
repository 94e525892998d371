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
import numpy as np

from fnn import activations, layers as L, losses, optimizers


def init_params(layers, *, seed=None, dtype=np.float32):
    """Random weights for a network, zero biases.

    layers: a layer list (fnn.layers) or dense sizes [n0, n1, ..., nL] (relu, softmax).
    seed: an int or an np.random.Generator; the same seed gives the same params, bit for bit,
        with the same NumPy version.
    W[l] ~ N(0, 2 / fan_in)             He, when the layer feeds relu or leaky_relu
    W[l] ~ N(0, 2 / (fan_in + fan_out)) Glorot, when it feeds sigmoid, tanh or the output
    with fan_in = n[l-1] for dense layers and C*kh*kw for convolutions (fnn.layers.Kind.fans).
    Returns {"W1": (n1, n0), "b1": (n1, 1), ...} in `dtype` (float32 trains fastest;
    use float64 for gradient checks).
    """
    net = L.as_layers(layers)
    rng = np.random.default_rng(seed)
    shapes = L.param_shapes(net)
    feeds = _activation_after_each_param_layer(net)
    kinds = [L.KINDS[spec["type"]] for spec in net[1:] if L.KINDS[spec["type"]].weighted]
    params = {}
    for l in range(1, len(shapes) // 2 + 1):
        w_shape = shapes[f"W{l}"]
        fan_in, fan_out = kinds[l - 1].fans(w_shape)
        var = 2.0 / fan_in if feeds[l - 1] in ("relu", "leaky_relu") else 2.0 / (fan_in + fan_out)
        params[f"W{l}"] = (rng.standard_normal(w_shape) * np.sqrt(var)).astype(dtype)
        params[f"b{l}"] = np.zeros(shapes[f"b{l}"], dtype=dtype)
    return params


def forward(params, X, layers=None, dropout=0.0, rng=None):
    """Forward propagation: A[0] = X, then for each layer l
        Z[l] = W[l] @ A[l-1] + b[l],   A[l] = g[l](Z[l])          (for dense layers)
    and A[L] = softmax(Z[L]) (or sigmoid) at the output.

    X: (n0, m), one example per column; for image inputs (C*H*W, m), reshaped inside.
    layers: a layer list, dense sizes, or None for the dense network params describe
        (fnn.layers.as_layers).
    dropout: probability p of dropping each hidden activation (training only). Inverted
        dropout: A[l] = A[l] * D[l] / (1 - p) with D[l] ~ Bernoulli(1 - p) drawn from `rng`.
    Returns (AL, cache), what backward and compute_loss need, Nielsen's `activations` and `zs`:
        cache["Z"][l], cache["A"][l]   Z[l] and A[l] of layer l = 1..L (A[0] = X, Z[0] None);
            A[l] is the output of the last entry before layer l+1's weights (after its
            activation, pooling and flatten, before dropout), A[L] = cache["AL"]
        cache["out"][i]                the output of entry i of cache["layers"] (out[0] = X)
        cache["kept"][i], cache["D"][i]  what entry i's backward needs, its dropout mask or None
    """
    net = L.as_layers(layers, params)
    if dropout and not 0 < dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    if dropout and rng is None:
        raise ValueError("dropout needs an explicit rng (np.random.default_rng(seed))")
    dtype = params["W1"].dtype
    m = X.shape[-1]
    A = np.asarray(X).astype(dtype, copy=False).reshape(*net[0]["shape"], m)
    out, kept, D, Zs, As = [A], [None], [None], [None], [A]
    l, last = 0, len(net) - 1
    for i, spec in enumerate(net[1:], start=1):
        kind = L.KINDS[spec["type"]]
        p = None
        if kind.weighted:
            l += 1
            p = (params[f"W{l}"], params[f"b{l}"])
        A, cache = kind.forward(spec, p, A)
        out.append(A)
        kept.append(cache)
        if p is not None:                         # Z[l]; A[l] = Z[l] until an activation follows
            Zs.append(A)
            As.append(A)
        else:                                     # layer l's activation, pooling or flatten
            As[l] = A
        mask = None
        if dropout and i < last and spec["type"] in activations.ACTIVATIONS:
            keep = 1.0 - dropout
            mask = (rng.random(A.shape, dtype=A.dtype) < keep) / A.dtype.type(keep)
            A = A * mask
        D.append(mask)
    return A, {"layers": net, "A": As, "Z": Zs, "out": out, "kept": kept, "D": D, "AL": A}


def backward(params, cache, Y, loss="cross_entropy", l2=0.0, input_grad=False, trace=False):
    """Backpropagation: the gradient of the mean loss J over the batch, BP1 to BP4.

    Y: labels (m,) or targets (n[L], m).
    loss: "cross_entropy" (after a softmax or sigmoid output) or "mse".
    l2: lambda of the penalty (lambda/2m) sum ||W||^2 (fnn.losses.add_l2 adds its gradient).
        dZ[L]   = A[L] - Y                  BP1, cross-entropy: g' and the log cancel
        dZ[L]   = (A[L] - Y) * g'(Z[L])     BP1, mse: dA[L] = A[L] - Y
    then for each layer l from L down to 1 (dense shown; conv in fnn.conv):
        dW[l]   = (1/m) dZ[l] @ A[l-1].T    BP4
        db[l]   = (1/m) sum_j dZ[l][:, j]   BP3
        dA[l-1] = W[l].T @ dZ[l]            BP2, first half (skipped for l = 1)
        dZ[l-1] = dA[l-1] * g'(Z[l-1])      BP2, second half (pooling and flatten route dA back)
    Returns {"dW1": ..., "db1": ..., ...}, each shaped like its parameter.
    input_grad: also return "dX" = dJ/dX (n0, m): dA[0] = W[1].T @ dZ[1] (col2im of
        W_mat.T @ dZ for a first conv), over m like dW: the answer's gradient with respect
        to the pixels (fnn.analysis.explain).
    trace: also return "dout", for every entry i of the layer list the un-averaged gradient
        at its output (dout[-1] = dZ[L] from BP1; fnn.analysis.explain.xray draws them).
    """
    net, kept, D, AL = cache["layers"], cache["kept"], cache["D"], cache["AL"]
    Y = losses.targets(Y, AL)
    m = AL.shape[-1]
    output = len(net) - 1                               # the output activation's entry
    if loss == "cross_entropy":
        dZ = AL - Y                                     # BP1: softmax (or sigmoid) and the log cancel
    elif loss == "mse":
        dA = AL - Y                                     # dJ/dA[L] for J = (1/2m) sum ||A[L] - Y||^2
        dZ = L.KINDS[net[output]["type"]].backward(net[output], None, dA, kept[output])[0]  # BP1
    else:
        raise ValueError(f"unknown loss {loss!r}; choose from {', '.join(losses.LOSSES)}")
    weighted = [i for i, spec in enumerate(net[1:], 1) if L.KINDS[spec["type"]].weighted]
    stop = 1 if input_grad else weighted[0]             # entries before the first weights: only for dX
    dA = dZ                                             # the gradient at the output activation's input
    dout = [None] * output + [dZ] if trace else None    # kept only when asked: they are large
    grads, l = {}, len(weighted)
    for i in range(output - 1, stop - 1, -1):
        spec, kind = net[i], L.KINDS[net[i]["type"]]
        if trace:
            dout[i] = dA
        if D[i] is not None:
            dA = dA * D[i]                              # dropout: the same mask D[l] / (1 - p)
        if not kind.weighted:                           # BP2's g'(Z) for an activation; pooling and
            dA = kind.backward(spec, None, dA, kept[i])[0]      # flatten route dA to their input
            continue
        dZ = dA                                         # entry i computes Z[l]: the gradient here is dZ[l]
        dA, (dW, db) = kind.backward(spec, (params[f"W{l}"], params[f"b{l}"]), dZ, kept[i],
                                     i > stop or input_grad)    # BP4, BP3, dA[l-1] = W[l].T @ dZ[l]
        grads[f"dW{l}"], grads[f"db{l}"] = dW, db
        l -= 1
    if input_grad:
        grads["dX"] = dA.reshape(-1, m) / m             # dA[0], (C, H, W, m) -> (n0, m), averaged like dW
    if trace:
        dout[0] = dA if input_grad else None
        grads["dout"] = dout
    return losses.add_l2(grads, params, l2, m)


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
    larger batches run slower (docs/performance.md)."""
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
    for i, spec in enumerate(net[1:], start=1):
        if L.KINDS[spec["type"]].weighted:
            nxt = next((s["type"] for s in net[i + 1:] if s["type"] in activations.ACTIVATIONS), "softmax")
            feeds.append(nxt)
    return feeds
