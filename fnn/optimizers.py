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
from typing import Callable, NamedTuple

import numpy as np

# Momentum and Adam set the subnormal entries of their state to 0 every FLUSH_EVERY steps
# (flush_subnormals): a subnormal lasts at most that many steps, for 1/16 of the cost of a pass.
FLUSH_EVERY = 16


def flush_subnormals(a):
    """a[|a| < tiny] := 0, in place, with tiny the smallest normal float (1.2e-38 in float32); -> a.
    Why: a state entry whose gradient stays 0 sticks in the subnormal range, where CPUs are
    slow, while it moves its weight by less than 1.5e-30 alpha (docs/performance.md)."""
    a[np.abs(a) < np.finfo(a.dtype).tiny] = 0
    return a


def sgd_init(params):
    """Plain gradient descent has no state."""
    return {}


def sgd_update(params, grads, state, learning_rate):
    """theta := theta - alpha d_theta."""
    return {k: p - learning_rate * grads["d" + k] for k, p in params.items()}, state


def momentum_init(params):
    """t = 0; v[theta] = 0 for every parameter."""
    return {"t": 0, "v": {k: np.zeros_like(p) for k, p in params.items()}}


def momentum_update(params, grads, state, learning_rate, beta=0.9):
    """Gradient descent with momentum (an exponentially weighted average of gradients):
        v[theta] := beta v[theta] + (1 - beta) d_theta
        theta    := theta - alpha v[theta]
    Ng's averaged form: PyTorch's SGD(momentum=beta), v := beta v + d_theta, takes the same
    steps with learning rate alpha (1 - beta).
    """
    t = state["t"] + 1
    v = {k: beta * state["v"][k] + (1 - beta) * grads["d" + k] for k in params}
    if t % FLUSH_EVERY == 0:              # see flush_subnormals: v decays like Adam's m
        for vk in v.values():
            flush_subnormals(vk)
    return {k: params[k] - learning_rate * v[k] for k in params}, {"t": t, "v": v}


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

    Plain, for every key k (tests/test_optimizers.py checks the code against it):
        m = beta1 * m0 + (1 - beta1) * g;   v = beta2 * v0 + (1 - beta2) * g ** 2
        theta = p - alpha * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    The code folds the two corrections into scalars and writes each line as in-place passes
    over the new arrays, for speed (docs/performance.md).
    """
    t = state["t"] + 1
    c1, c2 = 1 - beta1 ** t, math.sqrt(1 - beta2 ** t)
    # theta - alpha m_hat / (sqrt(v_hat) + eps) == theta - (alpha c2 / c1) m / (sqrt(v) + eps c2)
    step, eps_hat = learning_rate * c2 / c1, eps * c2
    flush = t % FLUSH_EVERY == 0
    new_params, m, v = {}, {}, {}
    for k, p in params.items():
        g, m0, v0 = grads["d" + k], state["m"][k], state["v"][k]
        mk = g - m0                       # in-place passes over the new arrays; inputs untouched
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
        if flush:                         # m (and in long runs v) would get stuck as subnormals
            flush_subnormals(mk)
            flush_subnormals(vk)
        new_params[k], m[k], v[k] = pk, mk, vk
    return new_params, {"t": t, "m": m, "v": v}


def rmsprop_init(params):
    """t = 0; the mean square v[theta] = 0 for every parameter."""
    return {"t": 0, "v": {k: np.zeros_like(p) for k, p in params.items()}}


def rmsprop_update(params, grads, state, learning_rate, rho=0.9, eps=1e-8):
    """RMSprop (Hinton's lecture 6e): each weight's step scaled by its recent gradient size,
        v[theta] := rho v[theta] + (1 - rho) d_theta^2
        theta    := theta - alpha d_theta / (sqrt(v[theta]) + eps)
    """
    t = state["t"] + 1
    v = {k: rho * state["v"][k] + (1 - rho) * grads["d" + k] ** 2 for k in params}
    if t % FLUSH_EVERY == 0:              # see flush_subnormals: v decays like Adam's
        for vk in v.values():
            flush_subnormals(vk)
    return ({k: params[k] - learning_rate * grads["d" + k] / (np.sqrt(v[k]) + eps) for k in params},
            {"t": t, "v": v})


class Optimizer(NamedTuple):
    """One optimizer: its pure pair and what the command lines need to know of it."""
    init: Callable            # params -> state
    update: Callable          # (params, grads, state, alpha) -> (new params, new state)
    lr: float                 # a rate that trains train.py's MLP and CNN (batch 128, cosine)
    state_copies: int         # arrays the size of params its state holds during an update (old and new)


OPTIMIZERS = {
    "sgd": Optimizer(sgd_init, sgd_update, lr=0.1, state_copies=0),
    "momentum": Optimizer(momentum_init, momentum_update, lr=0.1, state_copies=2),
    "adam": Optimizer(adam_init, adam_update, lr=2e-3, state_copies=4),
    "rmsprop": Optimizer(rmsprop_init, rmsprop_update, lr=1e-3, state_copies=2),
}


# ---- learning-rate schedules: alpha_t as a function of the step (or epoch) t ---------------
# Each schedule's keyword defaults are the library's (fit measures t in epochs); train.py's
# options read them with schedule_defaults. `**_` lets one set of keywords serve every schedule.

def constant(learning_rate, t, **_):
    """alpha_t = alpha_0."""
    return learning_rate


def inverse_time_decay(learning_rate, t, *, decay=0.5, **_):
    """alpha_t = alpha_0 / (1 + decay * t)."""
    return learning_rate / (1.0 + decay * t)


def step_decay(learning_rate, t, *, drop=0.5, every=4, **_):
    """alpha_t = alpha_0 * drop^floor(t / every)."""
    return learning_rate * drop ** (t // every)


def cosine_decay(learning_rate, t, *, total=1, min_lr=0.0, **_):
    """alpha_t = min + (alpha_0 - min) (1 + cos(pi min(t, T) / T)) / 2, from alpha_0 at t = 0 to min at T."""
    frac = min(t, total) / max(total, 1)
    return min_lr + (learning_rate - min_lr) * 0.5 * (1.0 + math.cos(math.pi * frac))


SCHEDULES = {
    "constant": constant,
    "inverse_time": inverse_time_decay,
    "step": step_decay,
    "cosine": cosine_decay,
}


def schedule_defaults(name):
    """The keywords of SCHEDULES[name] and their defaults: {"drop": 0.5, "every": 4} for "step"."""
    return dict(SCHEDULES[name].__kwdefaults__ or {})
