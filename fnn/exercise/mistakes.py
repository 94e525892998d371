"""The classic mistakes of the exercise as numbers: what a forward or backward pass computes
when it makes one of them, so the checker can name the mistake behind a wrong answer.

    AL = forward_with(params, X, "softmax_rows")         # A[L] of a softmax over the wrong axis
    grads = backward_with(params, X, Y, "no_relu_prime")  # BP2 without relu'(Z)

The dense relu/softmax network of exercises/network.py, written out once here with a switch
at each place a mistake is made; with mistake=None it is the derivation of docs/math.md
(tests/test_exercise.py checks it against fnn.backward). Each entry of FORWARD and BACKWARD is
the message the checker prints, as a function of the layer l of the parameter and the last L.
"""
import numpy as np

FORWARD = {
    "softmax_rows": lambda L: (f"§1 softmax: the rows of A{L} sum to 1, not its columns: "
                               f"normalise over the classes of each example, axis=0"),
    "sigmoid_output": lambda L: (f"§1: A{L} = sigmoid(Z{L}); the output is softmax(Z{L}), whose "
                                 f"columns sum to 1 (BP1's dZ[L] = A[L] - Y holds for softmax "
                                 f"with cross-entropy)"),
    "no_relu": lambda L: "§1: the hidden layers are linear: A[l] = relu(Z[l]) = max(0, Z[l]) for l < L",
    "no_bias": lambda L: "§1: Z[l] = W[l] @ A[l-1] + b[l]: the bias b[l] is missing",
    "relu_output": lambda L: f"§1: A{L} = softmax(Z{L}) straight from Z{L}: no relu on the output layer",
}

BACKWARD = {
    "sign": lambda l, L: f"BP1: dZ{L} = A{L} - Y, not Y - A{L}: every gradient has the wrong sign",
    "Y_T": lambda l, L: (f"BP1: dZ{L} = A{L} - Y with Y (n[L], m), one-hot columns: Y is used "
                         f"transposed (one example per column)"),
    "extra_g_prime": lambda l, L: (f"BP1: dZ{L} = A{L} - Y already includes softmax's derivative: "
                                   f"do not multiply it by g'(Z{L})"),
    "no_relu_prime": lambda l, L: f"BP2: dZ{l} differs where Z{l} <= 0: relu'(Z) is 1 only where Z > 0",
    "relu_value": lambda l, L: (f"BP2: dZ{l} = dA{l} * relu'(Z{l}), and relu'(Z) is [Z > 0] "
                                f"(0 or 1), not relu(Z) itself"),
    "relu_wrong_layer": lambda l, L: (f"BP2: dZ{l} = dA{l} * relu'(Z{l}): the relu' of layer {l}, "
                                      f"the layer of dA{l}, not of layer {l + 1}"),
    "W_not_T": lambda l, L: f"BP2: dA{l} = W{l + 1}.T @ dZ{l + 1}: multiply by the transpose of W{l + 1}",
    "dW_A_l": lambda l, L: (f"BP4: dW{l} = (1/m) dZ{l} @ A{l - 1}.T: the activation of the layer "
                            f"before, A{l - 1}, not A{l}"),
    "dW_Z": lambda l, L: (f"BP4: dW{l} = (1/m) dZ{l} @ A{l - 1}.T: A{l - 1} = relu(Z{l - 1}), "
                          f"after the relu, not Z{l - 1}"),
}


def _softmax(Z, axis=0):
    E = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)


def _forward(params, X, mistake=None):
    """-> (Zs, As) with As[0] = X: Z[l] = W[l] @ A[l-1] + b[l], relu, softmax (§1)."""
    L = len(params) // 2
    Zs, As = [None], [X]
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ As[-1] + (0 if mistake == "no_bias" else params[f"b{l}"])
        if l < L:
            A = Z if mistake == "no_relu" else np.maximum(Z, 0)
        elif mistake == "softmax_rows":
            A = _softmax(Z, axis=1)
        elif mistake == "sigmoid_output":
            A = 0.5 * (1 + np.tanh(0.5 * Z))
        else:
            A = _softmax(np.maximum(Z, 0) if mistake == "relu_output" else Z)
        Zs.append(Z)
        As.append(A)
    return Zs, As


def forward_with(params, X, mistake=None):
    """A[L] (n[L], m) as a forward pass with `mistake` (a key of FORWARD, or None) computes it."""
    return _forward(params, X, mistake)[1][-1]


def backward_with(params, X, Y, mistake=None):
    """grads {"dW1", "db1", ...} as BP1-BP4 (§3) with `mistake` (a key of BACKWARD, or None)
    computes them, from the correct forward pass of (params, X); Y one-hot (n[L], m)."""
    Zs, As = _forward(params, X)
    L, m = len(params) // 2, X.shape[1]
    AL = As[L]
    dZ = {"sign": Y - AL, "Y_T": AL - Y.T if Y.shape[0] == Y.shape[1] else None,
          "extra_g_prime": (AL - Y) * AL * (1 - AL)}.get(mistake, AL - Y)       # BP1
    if dZ is None:
        return None
    grads = {}
    for l in range(L, 0, -1):
        A_prev = {"dW_A_l": As[l], "dW_Z": Zs[l - 1] if l > 1 else As[0]}.get(mistake, As[l - 1])
        if A_prev.shape[0] != As[l - 1].shape[0]:
            return None                                    # the mistake needs square layers
        grads[f"dW{l}"] = dZ @ A_prev.T / m                                      # BP4
        grads[f"db{l}"] = dZ.sum(axis=1, keepdims=True) / m                      # BP3
        if l > 1:
            W = params[f"W{l}"]
            if mistake == "W_not_T" and W.shape[0] != W.shape[1]:
                return None
            dA = W @ dZ if mistake == "W_not_T" else W.T @ dZ                    # BP2
            prime = {"no_relu_prime": 1.0, "relu_value": As[l - 1],
                     "relu_wrong_layer": Zs[l] > 0}.get(mistake, Zs[l - 1] > 0)
            if dA.shape != As[l - 1].shape or np.shape(prime) not in ((), dA.shape):
                return None
            dZ = dA * prime
    return grads
