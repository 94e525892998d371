"""Layers: a network is a plain list of layer specs, each a small dict of plain data.

    [Input(784), Dense(128), "relu", Dense(10), "softmax"]

is the same network as the dense sizes `[784, 128, 10]`, and as None next to a params dict
of those shapes: `as_layers` turns any of the three into the canonical list, which every
public function of fnn.network does with its `layers` argument. A dense network with other
activations is a list too: dense_layers([784, 128, 10], "tanh").
A spec is JSON-ready ({"type": "dense", "units": 128}), so a model file stores the
list as text and `load` rebuilds the network from it. Strings are shorthand for
activation layers: "relu" == {"type": "relu"}.

Activations flow with the examples on the LAST axis, as in the derivation:
A is (n, m) for dense layers and (C, H, W, m) for images.

Every layer kind is one entry of KINDS, a Kind: its fields, its pure functions (the stax
pattern) and what the rest of fnn and the front end read of it (its math line, its name):

    param_shapes(spec, in_shape) -> (W shape, b shape), or None for a layer without weights
    out_shape(spec, in_shape)    -> shape of one example's output
    forward(spec, p, A)          -> (out, cache)          p = (W, b) or None
    backward(spec, p, dout, cache, need_din) -> (din, grads)
                                    grads = (dW, db) or None; din is None when not needed

Backward receives dout un-averaged (one column per example) and returns dW, db
averaged over the batch, dW = (1/m) dZ A.T, so the sum of the per-layer
gradients is the gradient of the mean loss J.
"""
import math
from numbers import Integral
from typing import Callable, NamedTuple, Optional

from fnn import activations, conv

Conv, MaxPool = conv.Conv, conv.MaxPool          # fnn.conv's constructors, here as before


# ---- spec constructors: plain dicts, nothing hidden --------------------------------------

def Input(*shape):
    """The shape of one example: Input(784) for flat vectors, Input(1, 28, 28) for images.
    X is always passed as (prod(shape), m); forward reshapes it to shape + (m,)."""
    return {"type": "input", "shape": [int(s) for s in shape]}


def Dense(units):
    """Z = W @ A + b with W (units, n_in), b (units, 1)."""
    return {"type": "dense", "units": int(units)}


def Flatten():
    """(C, H, W, m) -> (C*H*W, m), no copy."""
    return {"type": "flatten"}


# ---- dense -------------------------------------------------------------------------------

def dense_param_shapes(spec, in_shape):
    if len(in_shape) != 1:
        raise ValueError(f"dense layer needs a flat input, got shape {tuple(in_shape)}: "
                         f"put Flatten() before it")
    return (spec["units"], in_shape[0]), (spec["units"], 1)


def dense_forward(spec, p, A):
    """Z[l] = W[l] @ A[l-1] + b[l]      W (n[l], n[l-1]), A[l-1] (n[l-1], m), b (n[l], 1) -> Z (n[l], m)."""
    W, b = p
    Z = W @ A
    Z += b                                # broadcast b over the m columns, in place on the new Z
    return Z, A


def dense_backward(spec, p, dZ, A_prev, need_din=True):
    """BP3-BP4 and the step to the previous layer, with dZ (n[l], m):
        dW[l]   = (1/m) dZ[l] @ A[l-1].T                       (n[l], n[l-1])
        db[l]   = (1/m) sum_j dZ[l][:, j]                      (n[l], 1)
        dA[l-1] = W[l].T @ dZ[l]                               (n[l-1], m)
    """
    W, _ = p
    m = dZ.shape[1]
    dW = dZ @ A_prev.T
    dW /= m
    db = dZ.sum(axis=1, keepdims=True)
    db /= m
    dA_prev = W.T @ dZ if need_din else None
    return dA_prev, (dW, db)


# ---- flatten -----------------------------------------------------------------------------

def flatten_forward(spec, p, A):
    """(C, H, W, m) -> (C*H*W, m): with examples last this is a reshape, not a copy."""
    return A.reshape(-1, A.shape[-1]), A.shape


def flatten_backward(spec, p, dout, shape, need_din=True):
    return (dout.reshape(shape) if need_din else None), None


# ---- activations as layers ---------------------------------------------------------------

def activation_forward(spec, p, Z):
    """A = g(Z); the cache keeps A, from which g'(Z) is computed."""
    A = activations.ACTIVATIONS[spec["type"]][0](Z)
    return A, A


def activation_backward(spec, p, dA, A, need_din=True):
    """dZ = dA * g'(Z)   (BP2's elementwise factor)."""
    return activations.ACTIVATIONS[spec["type"]][1](dA, A), None


class Kind(NamedTuple):
    """One layer kind: everything fnn and its front end know of it."""
    fields: tuple                      # the spec's keys besides "type" (check_layers)
    param_shapes: Optional[Callable]   # (spec, in_shape) -> (W shape, b shape); None: no weights
    out_shape: Callable                # (spec, in_shape) -> one example's output shape
    forward: Callable                  # (spec, p, A) -> (out, cache)
    backward: Callable                 # (spec, p, dout, cache, need_din) -> (din, (dW, db) or None)
    math: str                          # the docs/math.md line of its backward (the X-ray shows it)
    dx_math: str = ""                  # a weighted kind's dX = dA[0] line, when it is the first
    fans: Callable = lambda w: (math.prod(w[1:]), w[0] * math.prod(w[2:]))  # W shape -> fan_in, fan_out
    offsets: Callable = lambda spec: 0           # window offsets its Python loop runs over (k*k)
    name: Callable = lambda spec: spec["type"]   # in a network's short name ("" leaves it out)
    title: Callable = lambda spec: spec["type"]  # in the X-ray

    @property
    def weighted(self):
        return self.param_shapes is not None


def _same_shape(spec, in_shape):
    return list(in_shape)


KINDS = {
    "dense": Kind(("units",), dense_param_shapes, lambda spec, s: [spec["units"]], dense_forward,
                  dense_backward, math="dW[l] = (1/m) dZ[l] @ A[l-1].T",
                  dx_math="dX = dA[0] = W[1].T @ dZ[1]", name=lambda spec: f"dense{spec['units']}",
                  title=lambda spec: f"dense {spec['units']}"),
    "flatten": Kind((), None, lambda spec, s: [math.prod(s)], flatten_forward, flatten_backward,
                    math="A_flat[(c, h, w), n] = A[c, h, w, n]", name=lambda spec: ""),
    **{name: Kind(**row) for name, row in conv.ROWS.items()},
    **{name: Kind((), None, _same_shape, activation_forward, activation_backward,
                  math="dZ[l-1] = dA[l-1] * g'(Z[l-1])") for name in activations.ACTIVATIONS},
}


# ---- whole lists -------------------------------------------------------------------------

def dense_layers(layer_dims, activation="relu", output="softmax"):
    """[784, 128, 10] -> [Input(784), Dense(128), activation, Dense(10), output]."""
    if activation not in activations.HIDDEN_ACTIVATIONS:
        raise ValueError(f"unknown hidden activation {activation!r}; "
                         f"choose from {', '.join(activations.HIDDEN_ACTIVATIONS)}")
    if output not in activations.OUTPUT_ACTIVATIONS:
        raise ValueError(f"unknown output {output!r}; choose from "
                         f"{', '.join(activations.OUTPUT_ACTIVATIONS)}")
    dims = [int(d) for d in layer_dims]
    if len(dims) < 2 or min(dims) < 1:
        raise ValueError(f"layer_dims needs an input and an output size, all >= 1; got {layer_dims}")
    layers = [Input(dims[0])]
    for n in dims[1:-1]:
        layers += [Dense(n), {"type": activation}]
    return layers + [Dense(dims[-1]), {"type": output}]


def normalize(layers):
    """Check a layer list and return it in canonical form (a new list of new dicts)."""
    check_layers(layers)
    if not layers:
        raise ValueError("empty layer list")
    out = []
    for i, spec in enumerate(layers):
        spec = {"type": spec} if isinstance(spec, str) else dict(spec)
        if spec.get("type") not in KINDS and spec.get("type") != "input":
            raise ValueError(f"layer {i}: unknown type {spec.get('type')!r}; "
                             f"choose from input, {', '.join(KINDS)}")
        out.append(spec)
    if out[0]["type"] != "input":
        raise ValueError("a layer list starts with Input(...), e.g. Input(784) or Input(1, 28, 28)")
    if any(s["type"] == "input" for s in out[1:]):
        raise ValueError("Input(...) may only be the first layer")
    if out[-1]["type"] not in activations.OUTPUT_ACTIVATIONS:
        raise ValueError(f"the last layer is the output activation, one of "
                         f"{', '.join(activations.OUTPUT_ACTIVATIONS)}; got {out[-1]['type']!r}")
    return out


def as_layers(layers, params=None):
    """The canonical layer list (normalize's) of a network given as any of:
        a layer list       [Input(784), Dense(128), "relu", Dense(10), "softmax"]
        dense sizes        [784, 128, 10], i.e. dense_layers([784, 128, 10]): relu, softmax
        None               the dense network `params` describes (sizes read off W1..WL), relu, softmax
    """
    if layers is None:
        if params is None:
            raise ValueError("no network: pass layers (a layer list or dense sizes) or params")
        return dense_layers(_dense_dims(params))
    layers = list(layers)
    if layers and all(isinstance(n, Integral) for n in layers):
        return dense_layers(layers)
    return normalize(layers)


def _dense_dims(params):
    """[n0, n1, ..., nL] of a dense params dict: W[l] is (n[l], n[l-1])."""
    n = len([k for k in params if k.startswith("W")])
    if n == 0 or any(f"W{l}" not in params or params[f"W{l}"].ndim != 2 for l in range(1, n + 1)):
        raise ValueError("params do not describe a dense network (W1..WL, 2-D): pass layers")
    return [params["W1"].shape[1]] + [params[f"W{l}"].shape[0] for l in range(1, n + 1)]


def pool_before_relu(layers):
    """The same network with every relu that feeds a max-pool moved after the pool:

        maxpool(relu(Z)) = relu(maxpool(Z))

    max commutes with any non-decreasing function, and the gradients agree too (docs/math.md,
    section 7, "relu and max-pool commute"). The relu then runs on the pooled map, k*k times
    fewer entries, forward and backward (docs/performance.md).
    The layers with weights keep their places, so the same params fit both lists. fit
    trains with this list; a model file keeps the user's.
    Not for dropout, which masks the relu's output and would then mask the pooled one."""
    out = list(layers)
    for i in range(1, len(out) - 1):
        if out[i]["type"] == "relu" and out[i + 1]["type"] == "maxpool":
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


def largest_array(layers):
    """The most numbers one example puts in any single array a forward pass builds: the
    layers' outputs, and for a conv its im2col columns (C*k*k*H_out*W_out).
    fnn.network.predict sizes its batches by it."""
    shape = list(layers[0]["shape"])
    most = math.prod(shape)
    for spec in layers[1:]:
        out = list(KINDS[spec["type"]].out_shape(spec, shape))
        n = math.prod(out)
        if spec["type"] == "conv":
            n = max(n, shape[0] * spec["size"] ** 2 * out[1] * out[2])
        most, shape = max(most, n), out
    return most


def param_shapes(layers):
    """{"W1": shape, "b1": shape, ...} for a canonical layer list, numbering the layers
    that have weights 1, 2, ... in order (conv and dense alike). Also checks the list fits together."""
    shapes, shape, l = {}, list(layers[0]["shape"]), 0
    for i, spec in enumerate(layers[1:], start=1):
        kind = KINDS[spec["type"]]
        try:
            if kind.weighted:
                l += 1
                shapes[f"W{l}"], shapes[f"b{l}"] = (tuple(s) for s in kind.param_shapes(spec, shape))
            shape = list(kind.out_shape(spec, shape))
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"layer {i} ({spec['type']}): {e}") from None
        if min(shape) < 1:
            raise ValueError(f"layer {i} ({spec['type']}) leaves nothing: output shape {shape}")
    return shapes



def parameter_count(layers):
    """Number of weights and biases of a canonical layer list: sum of the sizes of param_shapes."""
    return sum(math.prod(s) for s in param_shapes(layers).values())

# ---- checking the fields of a layer list -------------------------------------------------

FIELDS = {"input": ("shape",), **{name: kind.fields for name, kind in KINDS.items()}}


def check_layers(layers):
    """Raise ValueError naming the layer and the field for a layer list that is not plain,
    well-typed data: a list whose specs are activation names or dicts with a known "type" and
    exactly that kind's FIELDS; "shape" a non-empty list of positive ints, "units", "filters",
    "size" and "stride" positive ints, "pad" a non-negative int (a bool is not an int).
    A model file's list (parsed JSON) and one built in Python both pass through here, via
    normalize, so a bad field is one clear message, not a KeyError or TypeError from inside
    forward. The ranges of the conv and max-pool fields are checked with their input, where
    fnn.conv computes the window (a window larger than the input is refused there too)."""
    if not isinstance(layers, (list, tuple)):
        raise ValueError(f"a layer list is a list of layers, got {_shown(layers)}")
    for i, spec in enumerate(layers):
        spec = {"type": spec} if isinstance(spec, str) else spec
        if not isinstance(spec, dict):
            raise ValueError(f"layer {i}: a layer is a dict or an activation name, got {_shown(spec)}")
        kind = spec.get("type")
        if not isinstance(kind, str) or (kind not in KINDS and kind != "input"):
            raise ValueError(f"layer {i}: unknown type {_shown(kind)}; choose from input, {', '.join(KINDS)}")
        fields, where = FIELDS.get(kind, ()), f"layer {i} ({kind})"
        for key in spec:
            if key != "type" and key not in fields:
                has = f"has only {', '.join(map(repr, fields))}" if fields else "has no fields"
                raise ValueError(f"{where}: unknown field {_shown(key)} (a {kind} layer {has})")
        for key in fields:
            value = spec.get(key)
            if key not in spec:
                raise ValueError(f"{where}: missing field {key!r}")
            if key == "shape":
                if not (isinstance(value, (list, tuple)) and value and all(_is_count(s, 1) for s in value)):
                    raise ValueError(f"{where}: 'shape' must be a non-empty list of positive ints, "
                                     f"got {_shown(value)}")
            elif not _is_count(value, 1 if key == "units" else None):
                kind_of_int = "a non-negative" if key == "pad" else "a positive"
                raise ValueError(f"{where}: {key!r} must be {kind_of_int} int, got {_shown(value)}")


def _is_count(value, least):
    """An int (not a bool), and >= least unless least is None."""
    return isinstance(value, int) and not isinstance(value, bool) and (least is None or value >= least)


def _shown(value, width=40):
    """repr(value) for a one-line message, cut to width characters."""
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."
