"""The training loop as plain functions: mini-batches, one step, and a generator over a whole run.

    for rec in fit(params, X, y, layers, epochs=10, X_val=Xv, y_val=yv, seed=0):
        if rec["kind"] == "step":   ...   # rec["iteration"], rec["loss"], rec["acc"], rec["params"]
        else:                       ...   # "epoch": rec["val_acc"], rec["elapsed"], rec["params"]

Nothing is hidden in an object: params and the optimizer state are values passed into
`train_step` and returned from it, and `fit` hands every new params dict to its caller. So a
caller can log every few iterations, keep the best params by validation accuracy, or stop
between two steps (Ctrl-C raises KeyboardInterrupt out of the generator; the last params it
yielded are complete and consistent).

Layout and speed: X is (784, m), one example per column, as in the derivation. `fit` keeps a
row-major copy Xr = X.T (m, 784) and gathers each batch as Xr[idx].T: the rows of one batch
are contiguous in memory, and the transposed view is an F-ordered (784, b) array that BLAS
multiplies without a copy. Everything stays float32; the batch accuracy comes from the A[L]
the forward pass already computed.

Randomness: `fit` derives independent streams (shuffling, dropout, augmentation) from one seed
with np.random.SeedSequence, so the same seed gives the same weights bit for bit.
"""
import time

import numpy as np

from fnn.network import backward, compute_loss, forward, predict
from fnn.optimizers import OPTIMIZERS, SCHEDULES


def minibatches(n, batch_size, rng):
    """Index arrays of the mini-batches of one epoch: a fresh permutation of range(n) from `rng`,
    cut into pieces of batch_size (the last one may be smaller). -> list of (b,) int arrays."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    perm = rng.permutation(n)
    return [perm[i:i + batch_size] for i in range(0, n, batch_size)]


def train_step(params, state, Xb, yb, layers, opt_update, lr, l2=0.0, dropout=0.0, rng=None):
    """One step of mini-batch gradient descent on the batch (Xb (n0, b), yb (b,) labels):

        A[L], cache = forward(params, Xb)             (with inverted dropout when dropout > 0)
        J           = cross-entropy(A[L], Y) + (lambda/2b) sum ||W||^2
        grads       = backward(params, cache, Y)      (BP1-BP4, plus (lambda/b) W from L2)
        params, state = opt_update(params, grads, state, lr)

    layers: the layer list (or None for a dense network described by params).
    opt_update: the update function of an optimizer, e.g. fnn.optimizers.OPTIMIZERS["adam"][1].
    -> (new params, new state, J as a float, batch accuracy = mean(argmax A[L] == yb)).
    J is computed BEFORE the update, from the same forward pass as the gradients.
    """
    AL, cache = forward(params, Xb, layers, dropout=dropout, rng=rng)
    loss = compute_loss(AL, yb, "cross_entropy", "softmax", params, l2)
    acc = float(np.mean(AL.argmax(axis=0) == yb))
    grads = backward(params, cache, yb, "cross_entropy", l2)
    params, state = opt_update(params, grads, state, lr)
    return params, state, loss, acc


def learning_rate(lr0, epoch, schedule="constant", epochs=1, decay=0.0, drop=0.5, every=5):
    """alpha at a (fractional) epoch, from fnn.optimizers.SCHEDULES with t measured in epochs:
        constant      alpha_0
        inverse_time  alpha_0 / (1 + decay t)
        step          alpha_0 drop^floor(t / every)
        cosine        alpha_0 (1 + cos(pi t / epochs)) / 2     (from alpha_0 down to 0 at the end)
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; choose from {', '.join(SCHEDULES)}")
    return SCHEDULES[schedule](lr0, epoch, decay=decay, drop=drop, every=every, total=epochs)


def fit(params, X, y, layers=None, optimizer="adam", epochs=10, batch_size=128, lr=1e-3,
        schedule="constant", decay=0.0, drop=0.5, every=5, l2=0.0, dropout=0.0, augment=False,
        X_val=None, y_val=None, seed=0):
    """Train params on (X (n0, m) float32, y (m,) int labels) and yield a record after every step
    and every epoch. A generator: nothing happens until the caller iterates.

    Step records:  {"kind": "step", "iteration": t (1-based), "epoch": e (1-based), "loss": J,
                    "acc": batch accuracy, "lr": alpha used, "params": params after the step}
    Epoch records: {"kind": "epoch", "epoch": e, "iteration": t, "val_acc": accuracy on
                    (X_val, y_val) or None, "elapsed": seconds since fit started, "params": ...}

    optimizer: "sgd", "momentum" or "adam".  schedule/decay/drop/every: see `learning_rate`,
    evaluated at the fractional epoch (iteration - 1) / iterations_per_epoch.
    augment: when true, each batch is replaced by fnn.augment.random_affine of it (random
    shifts, small rotations and scaling), drawn fresh every time.
    seed: an int (or np.random.SeedSequence); the shuffling, dropout and augmentation streams all derive from it.
    A loss that is not finite is still yielded (the caller decides to stop: see train.py).
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose from {', '.join(OPTIMIZERS)}")
    learning_rate(lr, 0, schedule)                               # validates the name early
    opt_init, opt_update = OPTIMIZERS[optimizer]
    if not isinstance(seed, np.random.SeedSequence):
        seed = np.random.SeedSequence(seed)
    shuffle_rng, dropout_rng, augment_rng = (np.random.default_rng(s) for s in seed.spawn(3))
    if augment:
        from fnn.augment import random_affine
    dtype = params["W1"].dtype
    Xr = np.ascontiguousarray(np.asarray(X, dtype=dtype).T)     # (m, n0): one example per row
    y = np.asarray(y)
    m = Xr.shape[0]
    per_epoch = -(-m // batch_size)
    state = opt_init(params)
    t = 0
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        for idx in minibatches(m, batch_size, shuffle_rng):
            alpha = learning_rate(lr, t / per_epoch, schedule, epochs, decay, drop, every)
            t += 1
            Xb = Xr[idx].T                                       # (n0, b), F-ordered view
            if augment:
                Xb = random_affine(Xb, augment_rng)
            params, state, loss, acc = train_step(params, state, Xb, y[idx], layers, opt_update,
                                                  alpha, l2, dropout, dropout_rng)
            yield {"kind": "step", "iteration": t, "epoch": epoch, "loss": loss, "acc": acc,
                   "lr": alpha, "params": params}
        val_acc = None
        if X_val is not None and len(y_val):
            val_acc = evaluate(params, X_val, y_val, layers)
        yield {"kind": "epoch", "epoch": epoch, "iteration": t, "val_acc": val_acc,
               "elapsed": time.perf_counter() - start, "params": params}


def evaluate(params, X, y, layers=None):
    """Accuracy = fraction of columns of X (n0, m) whose argmax A[L] equals the label y (m,)."""
    return float(np.mean(predict(params, X, layers) == np.asarray(y)))
