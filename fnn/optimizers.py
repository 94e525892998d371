"""Optimizers and learning-rate schedules as pure functions (the JAX optimizers pattern).

An optimizer is a pair (init, update). Its state is a plain value: you pass it in and get
the new one back, nothing is hidden in an object:

    state = adam_init(params)
    for t in ...:
        grads = backward(params, cache, Y)
        params, state = adam_update(params, grads, state, learning_rate)

Keys: params {"W1", "b1", ...}, grads {"dW1", "db1", ...}, state per key of params.
"""
import math

import numpy as np

from fnn.network import update as gradient_descent


def sgd_init(params):
    """Plain gradient descent has no state."""
    return {}


def sgd_update(params, grads, state, learning_rate):
    """theta := theta - alpha d_theta."""
    return gradient_descent(params, grads, learning_rate), state


def momentum_init(params):
    """v[theta] = 0 for every parameter."""
    return {"v": {k: np.zeros_like(p) for k, p in params.items()}}


def momentum_update(params, grads, state, learning_rate, beta=0.9):
    """Gradient descent with momentum (an exponentially weighted average of gradients):
        v[theta] := beta v[theta] + (1 - beta) d_theta
        theta    := theta - alpha v[theta]
    """
    v = {k: beta * state["v"][k] + (1 - beta) * grads["d" + k] for k in params}
    return {k: params[k] - learning_rate * v[k] for k in params}, {"v": v}


def adam_init(params):
    """t = 0; first and second moment estimates m, v = 0."""
    return {"t": 0, "m": {k: np.zeros_like(p) for k, p in params.items()},
            "v": {k: np.zeros_like(p) for k, p in params.items()}}


def adam_update(params, grads, state, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam (Kingma & Ba 2015):
        t := t + 1
        m := beta1 m + (1 - beta1) d_theta               v := beta2 v + (1 - beta2) d_theta^2
        m_hat = m / (1 - beta1^t)                        v_hat = v / (1 - beta2^t)
        theta := theta - alpha m_hat / (sqrt(v_hat) + eps)
    """
    t = state["t"] + 1
    c1, c2 = 1 - beta1 ** t, math.sqrt(1 - beta2 ** t)
    # theta - alpha m_hat / (sqrt(v_hat) + eps) == theta - (alpha c2 / c1) m / (sqrt(v) + eps c2)
    step, eps_hat = learning_rate * c2 / c1, eps * c2
    new_params, m, v = {}, {}, {}
    for k, p in params.items():
        g, m0, v0 = grads["d" + k], state["m"][k], state["v"][k]
        # The same arithmetic, written as in-place passes over the three new arrays only
        # (the inputs are never written): a third of the memory traffic of the plain form.
        mk = g - m0
        mk *= 1 - beta1
        mk += m0                          # m = beta1 m0 + (1 - beta1) g
        vk = g * g
        vk -= v0
        vk *= 1 - beta2
        vk += v0                          # v = beta2 v0 + (1 - beta2) g^2
        pk = np.sqrt(vk)
        pk += eps_hat
        np.divide(mk, pk, out=pk)
        pk *= -step
        pk += p                           # theta - alpha m_hat / (sqrt(v_hat) + eps)
        new_params[k], m[k], v[k] = pk, mk, vk
    return new_params, {"t": t, "m": m, "v": v}


OPTIMIZERS = {
    "sgd": (sgd_init, sgd_update),
    "momentum": (momentum_init, momentum_update),
    "adam": (adam_init, adam_update),
}


# ---- learning-rate schedules: alpha_t as a function of the step (or epoch) t ---------------

def constant(learning_rate, t, **_):
    """alpha_t = alpha_0."""
    return learning_rate


def inverse_time_decay(learning_rate, t, decay=0.0, **_):
    """alpha_t = alpha_0 / (1 + decay * t)."""
    return learning_rate / (1.0 + decay * t)


def step_decay(learning_rate, t, drop=0.5, every=10, **_):
    """alpha_t = alpha_0 * drop^floor(t / every)."""
    return learning_rate * drop ** (t // every)


def cosine_decay(learning_rate, t, total=1, min_lr=0.0, **_):
    """alpha_t = min + (alpha_0 - min) (1 + cos(pi min(t, T) / T)) / 2, from alpha_0 at t = 0 to min at T."""
    frac = min(t, total) / max(total, 1)
    return min_lr + (learning_rate - min_lr) * 0.5 * (1.0 + math.cos(math.pi * frac))


SCHEDULES = {
    "constant": constant,
    "inverse_time": inverse_time_decay,
    "step": step_decay,
    "cosine": cosine_decay,
}
