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

# Momentum and Adam set the subnormal entries of their state to 0 every FLUSH_EVERY steps.
FLUSH_EVERY = 16


def flush_subnormals(a):
    """Set the entries of `a` smaller in magnitude than the smallest normal float (float32:
    1.2e-38) to 0, in place; -> a.

    Why: while a weight's gradient is 0 (a pixel blank in the whole batch, a unit that no
    example activates), Adam's m (and momentum's v) decays by 0.9 a step; from 1e-3 it falls
    within ~770 steps into the subnormal range below 1.2e-38, and rounding keeps it there:
    at m = 4 * 2^-149, 0.1 m rounds to 0 and m stops changing. CPUs multiply and divide
    subnormals far slower than normal numbers: tens of ns each instead of a fraction of a
    ns. Over a thousand entries of m get stuck so in the MLP 784-128-128-10 within 5 epochs,
    tens of thousands in the CNN of train.py --arch cnn within its first (the rows of dense
    units that no example activates), and an Adam step then takes up to twice as long
    (`python benchmarks/micro.py subnormals` times both).
    Adam's v decays by 0.999 and gets there from 1e-8 only after ~69,000 steps; it is
    flushed too.

    Setting them to 0 is what a CPU's flush-to-zero mode does, which TensorFlow and XLA turn
    on for their CPU kernels. Such an m moves a weight by at most alpha m / (c1 eps)
    < 1.5e-30 alpha a step (t >= 16), and such a v changes sqrt(v) + eps by less than 1e-10
    of itself: in every run measured the weights came out the same bit for bit.
    Every FLUSH_EVERY steps, not every step: a subnormal then lasts at most that many
    steps, for 1/FLUSH_EVERY of the cost of the extra pass."""
    a[np.abs(a) < np.finfo(a.dtype).tiny] = 0
    return a


def sgd_init(params):
    """Plain gradient descent has no state."""
    return {}


def sgd_update(params, grads, state, learning_rate):
    """theta := theta - alpha d_theta."""
    return gradient_descent(params, grads, learning_rate), state


def momentum_init(params):
    """t = 0; v[theta] = 0 for every parameter."""
    return {"t": 0, "v": {k: np.zeros_like(p) for k, p in params.items()}}


def momentum_update(params, grads, state, learning_rate, beta=0.9):
    """Gradient descent with momentum (an exponentially weighted average of gradients):
        v[theta] := beta v[theta] + (1 - beta) d_theta
        theta    := theta - alpha v[theta]
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
    """
    t = state["t"] + 1
    c1, c2 = 1 - beta1 ** t, math.sqrt(1 - beta2 ** t)
    # theta - alpha m_hat / (sqrt(v_hat) + eps) == theta - (alpha c2 / c1) m / (sqrt(v) + eps c2)
    step, eps_hat = learning_rate * c2 / c1, eps * c2
    flush = t % FLUSH_EVERY == 0
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
        if flush:                         # m (and in long runs v) would get stuck as subnormals
            flush_subnormals(mk)
            flush_subnormals(vk)
        new_params[k], m[k], v[k] = pk, mk, vk
    return new_params, {"t": t, "m": m, "v": v}


OPTIMIZERS = {
    "sgd": (sgd_init, sgd_update),
    "momentum": (momentum_init, momentum_update),
    "adam": (adam_init, adam_update),
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
