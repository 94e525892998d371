"""Backpropagation run on one example, kept step by step: why the network answered what it did.

    c, G = log_prob_gradient(params, x, layers)     # G = d log p_c / dx, shaped like x (n0,)
    ray = xray(params, x, layers, label=3)          # every layer's A, dZ, ||dW|| for this example

Both are the derivation of docs/math.md (section 8) on a single column x (n0,), m = 1. With a
softmax output and cross-entropy, the loss of label c is J = -log p_c, so the gradient of the
answer's log-probability with respect to the pixels is minus backward's dX for label c:

    d log p_c / dX = -dJ/dX = -(W[1].T @ dZ[1])       (col2im of W_mat.T @ dZ for a first conv)

xray reads every layer's output from fnn.forward's cache and every incoming gradient from
fnn.backward(trace=True).
"""
import numpy as np

from fnn import layers as L
from fnn.network import backward, forward

BP1 = "dZ[L] = A[L] - Y"          # the output's line; every other comes from its fnn.layers.Kind


def _column(params, x):
    """x (n0,) or (n0, 1) -> (n0, 1) in the params' dtype."""
    return np.asarray(x, dtype=params["W1"].dtype).reshape(-1, 1)


def log_prob_gradient(params, x, layers=None, c=None):
    """(c, G): c the predicted class (argmax of A[L]) unless given, and G = d log p_c / dx,
    shaped like x's n0 pixels (n0,). Positive G[i]: more ink at pixel i raises p_c.
    Needs a softmax output (J = -log p_c is then the cross-entropy of label c)."""
    net = L.as_layers(layers, params)
    if net[-1]["type"] != "softmax":
        raise ValueError("log_prob_gradient needs a softmax output")
    X = _column(params, x)
    AL, cache = forward(params, X, net)
    c = int(AL[:, 0].argmax()) if c is None else int(c)
    dX = backward(params, cache, np.array([c]), input_grad=True)["dX"]
    return c, -dX[:, 0]


def xray(params, x, layers=None, label=None):
    """The forward and backward pass of one example x (n0,), everything kept.

    label: the class the user says x is; None uses the predicted class (the gradient then
    shows what would make the network surer of its own answer).
    Returns {"probs": A[L] (n[L],), "label": y, "Y": one-hot (n[L],), "dZL": A[L] - Y (BP1),
    "dX": dJ/dX (n0,), "dX_math": its line of docs/math.md, "steps": [...]}, one step per layer of the list after Input, in order:
    {"spec": the layer, "l": its weight index or None, "out": its output for x (shape of one
    example, e.g. (16, 28, 28) or (128,)), "grad": dJ/d(out), same shape (dZ[l] for a dense or
    conv layer, dA for an activation), "dW_norm", "db_norm": ||dW[l]||, ||db[l]|| (weight layers,
    else None), "math": the line of docs/math.md for its backward}.
    Read from fnn.forward's cache and fnn.backward(..., input_grad=True, trace=True).
    """
    net = L.as_layers(layers, params)
    AL, cache = forward(params, _column(params, x), net)
    probs = AL[:, 0]
    y = int(probs.argmax()) if label is None else int(label)
    Y = np.zeros_like(probs)
    Y[y] = 1
    grads = backward(params, cache, Y.reshape(-1, 1), input_grad=True, trace=True)
    steps, l = [], 0
    for i, spec in enumerate(net[1:], start=1):
        kind = L.KINDS[spec["type"]]
        weighted = kind.weighted
        l += weighted
        steps.append({"spec": spec, "l": l if weighted else None, "out": cache["out"][i][..., 0],
                      "grad": grads["dout"][i][..., 0],
                      "dW_norm": float(np.linalg.norm(grads[f"dW{l}"])) if weighted else None,
                      "db_norm": float(np.linalg.norm(grads[f"db{l}"])) if weighted else None,
                      "math": BP1 if i == len(net) - 1 else kind.math})
    first = next(spec for spec in net[1:] if L.KINDS[spec["type"]].weighted)
    return {"probs": probs, "label": y, "Y": Y, "dZL": probs - Y, "dX": grads["dX"][:, 0],
            "dX_math": L.KINDS[first["type"]].dx_math, "steps": steps}
