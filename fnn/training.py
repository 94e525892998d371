"""The training loop as plain functions: mini-batches, one step, and a generator over a whole run.

    for rec in fit(params, X, y, layers, epochs=10, X_val=Xv, y_val=yv, seed=0):
        if rec["kind"] == "step":   ...   # rec["iteration"], rec["loss"], rec["acc"], rec["params"]
        else:                       ...   # "epoch": rec["val_acc"], rec["elapsed"], rec["params"]

Nothing is hidden in an object: params and the optimizer state are values passed into
`train_step` and returned from it, and `fit` hands every new params dict to its caller. So a
caller can log every few iterations, keep the best params by validation accuracy, or stop
between two steps (Ctrl-C raises KeyboardInterrupt out of the generator; the last params it
yielded are complete and consistent).

Layout and speed: X is (784, m), one example per column, as in the derivation. `fit` works
on the row layout Xr = X.T (m, 784), C-contiguous (a view of fnn.io.data.load_csv's X, which is
stored that way; a copy for any other X), and gathers each batch as Xr[idx].T: the rows of one
batch are contiguous in memory, and the transposed view is an F-ordered (784, b) array that
BLAS multiplies without a copy. Everything stays float32; the batch accuracy comes from the A[L]
the forward pass already computed.

Randomness: `fit` derives independent streams (shuffling, dropout, augmentation) from one seed
with np.random.SeedSequence, so the same seed gives the same weights bit for bit on the same
kind of machine: the same NumPy and BLAS build, BLAS kernel (OpenBLAS picks one per CPU) and
thread counts. Another kernel sums in another order and rounds differently.
"""
import math
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from fnn.layers import as_layers, pool_before_relu
from fnn.losses import LOSSES, l2_gradient, l2_penalty, targets
from fnn.network import accuracy, backward, classes, compute_loss, forward
from fnn.optimizers import OPTIMIZERS, SCHEDULES
from fnn.analysis.stats import layer_stats


def minibatches(n, batch_size, rng):
    """Index arrays of the mini-batches of one epoch: a fresh permutation of range(n) from `rng`,
    cut into pieces of batch_size (the last one may be smaller). -> list of (b,) int arrays."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    perm = rng.permutation(n)
    return [perm[i:i + batch_size] for i in range(0, n, batch_size)]


def _shard_grads(params, Xb, yb, layers, loss, dropout, rng, weight=1.0, err=None, keep=None):
    """Forward and backward on one shard, without L2: (weight * grads, summed J, number correct).
    keep: a list to which the shard's forward cache is appended (for fnn.analysis.stats), or None.
    The grads are new arrays, scaled in place here (in the shard's own thread) when weight != 1.
    err: the caller's np.geterr(), for a worker thread, which does not inherit it."""
    with np.errstate(**(err or {})):
        AL, cache = forward(params, Xb, layers, dropout=dropout, rng=rng)
        Y = targets(yb, AL)                       # one-hot once, for J and for BP1
        J = compute_loss(cache, Y, loss) * AL.shape[-1]
        correct = int(np.count_nonzero(classes(AL) == yb))
        grads = backward(params, cache, Y, loss)
        if keep is not None:
            keep.append(cache)
        if weight != 1:
            for g in grads.values():
                g *= g.dtype.type(weight)         # b_k / b
        return grads, J, correct


def train_step(params, state, Xb, yb, layers, opt_update, lr, loss="cross_entropy", l2=0.0,
               dropout=0.0, rng=None, shards=1, pool=None, observe=False):
    """One step of mini-batch gradient descent on the batch (Xb (n0, b), yb (b,) labels):

        A[L], cache = forward(params, Xb)             (with inverted dropout when dropout > 0)
        J           = loss(A[L], Y) + (lambda/2b) sum ||W||^2     (fnn.compute_loss)
        grads       = backward(params, cache, Y, loss) (BP1-BP4, plus (lambda/b) W from L2)
        params, state = opt_update(params, grads, state, lr)

    layers: as for fnn.forward.  loss: "cross_entropy" or "mse" (fnn.losses.LOSSES).
    opt_update: the update function of an optimizer, e.g. fnn.optimizers.OPTIMIZERS["adam"][1].
    -> (new params, new state, J as a float, batch accuracy = mean(classes(A[L]) == yb)).
    J is computed BEFORE the update, from the same forward pass as the gradients.

    shards: K > 1 for data parallelism. The batch is cut into K consecutive column shards
    of sizes b_k (as equal as possible), forward and backward run on each shard -- shard 0 in
    the calling thread while shards 1..K-1 run in `pool` (a concurrent.futures executor with
    K - 1 threads; NumPy and BLAS release the GIL, so K threads use K cores), or one after the
    other when pool is None -- and the gradients are reduced in shard
    order, which is the full-batch gradient:

        grads = sum_k (b_k / b) grads_k        (the mean of the per-example gradients)
        J     = sum_k (b_k / b) J_k + (lambda/2b) sum ||W||^2,  grads += (lambda/b) W

    rng is then a list of K generators, one per shard (dropout); a single generator is split
    into K children with rng.spawn(K). The result depends on K
    (float sums in another order) but is the same bit for bit for the same K
    (on the same kind of machine: see the module docstring).

    observe: when true, a fifth value fnn.analysis.stats.layer_stats(params, grads, cache, new params)
    of this step (cache: shard 0's forward cache). It only reads, so the weights are the same.
    """
    b = Xb.shape[-1]
    K = max(1, min(shards, b))
    keep = [] if observe else None
    if K == 1:
        grads, J, correct = _shard_grads(params, Xb, yb, layers, loss, dropout, rng, keep=keep)
    else:
        # one generator per shard: a single one shared by threads would hand out masks in thread order
        rngs = list(rng) if isinstance(rng, (list, tuple)) else (rng.spawn(K) if rng is not None else [None] * K)
        cuts = [b * k // K for k in range(K + 1)]
        err = np.geterr()

        def shard(k):
            lo, hi = cuts[k], cuts[k + 1]
            return _shard_grads(params, Xb[..., lo:hi], yb[lo:hi], layers, loss, dropout, rngs[k],
                                (hi - lo) / b, err, keep if k == 0 else None)
        # shards 1..K-1 in the pool, shard 0 in this thread meanwhile; reduced in shard order
        rest = [pool.submit(shard, k) for k in range(1, K)] if pool is not None else None
        results = [shard(0)] + ([f.result() for f in rest] if rest is not None else
                                [shard(k) for k in range(1, K)])
        grads, J, correct = results[0]               # shard 0's new arrays: summed into
        for g_k, J_k, c_k in results[1:]:
            for k, g in g_k.items():
                grads[k] += g
            J += J_k
            correct += c_k
    J = J / b
    if l2:
        J += l2_penalty(params, l2, b)
        for k in grads:
            if k.startswith("dW"):
                grads[k] += l2_gradient(params[k[1:]], l2, b)
    new_params, state = opt_update(params, grads, state, lr)
    if observe:
        return new_params, state, J, correct / b, layer_stats(params, grads, keep[0], new_params)
    return new_params, state, J, correct / b


def seed_streams(seed):
    """The independent seed streams fit draws from one seed: (shuffle, dropout, augment), three
    np.random.SeedSequence children. benchmarks/bench.py cuts PyTorch's batches from the first."""
    if not isinstance(seed, np.random.SeedSequence):
        seed = np.random.SeedSequence(seed)
    return seed.spawn(3)


def default_workers(params, layers, batch_size):
    """The worker count fit uses when none is given: 2 for a network with a convolution and
    batches of at least 32 (shards of 16 or more), else 1. Why: a CNN's step is long enough
    for a second thread to pay off, a dense network's is not (`python benchmarks/micro.py
    workers` times both). It does not look at the machine, so the same command and seed give
    the same weights on any core count; on one core the two shards simply run in turn."""
    net = as_layers(layers, params)
    has_conv = any(spec["type"] == "conv" for spec in net)
    return 2 if has_conv and batch_size >= 32 else 1


def learning_rate(lr0, epoch, schedule="constant", epochs=1, **schedule_args):
    """alpha at a (fractional) epoch, from fnn.optimizers.SCHEDULES with t measured in epochs:
        constant      alpha_0
        inverse_time  alpha_0 / (1 + decay t)
        step          alpha_0 drop^floor(t / every)
        cosine        alpha_0 (1 + cos(pi t / epochs)) / 2     (from alpha_0 down to 0 at the end)
    schedule_args: decay, drop, every; each one left out takes the schedule's default
    (fnn.optimizers.schedule_defaults)."""
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; choose from {', '.join(SCHEDULES)}")
    return SCHEDULES[schedule](lr0, epoch, total=epochs, **schedule_args)


def _heed(reply, changes, t):
    """What a caller sent into fit after iteration t -> (lr_changes, observe the next step)."""
    if not reply:
        return changes, False
    if "lr_factor" in reply:
        f = float(reply["lr_factor"])
        if not (math.isfinite(f) and f > 0):
            raise ValueError(f"lr_factor must be a finite number > 0, got {reply['lr_factor']!r}")
        changes = changes + ((t + 1, f),)
    return changes, bool(reply.get("stats"))


def fit(params, X, y, layers=None, loss="cross_entropy", optimizer="adam", epochs=10,
        batch_size=128, lr=1e-3, schedule="constant", schedule_args=None, l2=0.0, dropout=0.0,
        augment=False, X_val=None, y_val=None, seed=0, workers=None, lr_changes=()):
    """Train params on (X (n0, m) float32, y (m,) int labels) and yield a record after every step
    and every epoch. A generator: nothing happens until the caller iterates.

    Step records:  {"kind": "step", "iteration": t (1-based), "epoch": e (1-based), "loss": J,
                    "acc": batch accuracy, "lr": alpha used, "params": params after the step,
                    "lr_changes": the changes so far (below)}
    Epoch records: {"kind": "epoch", "epoch": e, "iteration": t, "val_acc": accuracy on
                    (X_val, y_val) or None, "elapsed": seconds since fit started, "params": ...,
                    "lr_changes": ...}

    Observing a run from outside (the training lab, train.py --watch) by sending a dict
    with gen.send(...) instead of next(gen); both keys are optional:
        {"stats": True}      the next step record also has "stats", fnn.analysis.stats.layer_stats of
                             that step (gradient norm, update/weight ratio, dead ReLUs);
        {"lr_factor": f}     the learning rate is multiplied by f from the next iteration on.
    lr_changes: ((iteration, factor), ...), the rate changes to apply from the start; every
    record carries the changes so far in this form, so passing a run's final lr_changes to a
    new fit with the same seed repeats that run bit for bit. The rate of iteration t is

        alpha_t = schedule(t) * prod { f : (i, f) in lr_changes, i <= t }

    Nothing sent changes anything else: a watched run's weights are the same, bit for bit.

    layers: as for fnn.forward; a relu that feeds a max-pool runs after it unless dropout is on
    (fnn.layers.pool_before_relu: the same values and gradients, bit for bit).
    loss: "cross_entropy" or "mse" (see fnn.backward).
    optimizer: "sgd", "momentum" or "adam".  schedule, schedule_args (a dict of decay, drop,
    every): see `learning_rate`, evaluated at the fractional epoch (iteration - 1) / iterations_per_epoch.
    augment: when true, each batch is replaced by fnn.digits.augment.random_affine of it (random
    shifts, small rotations and scaling), drawn fresh every time; a function
    augment(Xb, rng, yb) -> Xb' (one of fnn.digits.augment.AUGMENTATIONS) is used instead.
    seed: an int (or np.random.SeedSequence); the shuffling, dropout and augmentation streams all derive from it.
    workers: threads for data parallelism (see train_step's shards): each batch is cut into
    `workers` shards whose forward and backward passes run at once in a thread pool that
    lives as long as the generator. None picks default_workers (2 for
    convolutional networks, 1 for dense ones). The same seed and
    the same workers give the same weights bit for bit on the same kind of machine (module
    docstring); another worker count gives other
    rounding (and, with dropout, other masks). Keep BLAS at one thread (train.py does) so the
    workers do not oversubscribe the cores.
    A loss that is not finite is still yielded (the caller decides to stop: see train.py).
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose from {', '.join(OPTIMIZERS)}")
    schedule_args = dict(schedule_args or {})
    learning_rate(lr, 0, schedule, epochs, **schedule_args)      # validates the name early
    opt_init, opt_update = OPTIMIZERS[optimizer]
    shuffle_seq, dropout_seq, augment_seq = seed_streams(seed)
    shuffle_rng, augment_rng = np.random.default_rng(shuffle_seq), np.random.default_rng(augment_seq)
    workers = default_workers(params, layers, batch_size) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if workers == 1:
        dropout_rng = np.random.default_rng(dropout_seq)
    else:                                  # one dropout stream per shard, derived from the seed
        dropout_rng = [np.random.default_rng(s) for s in dropout_seq.spawn(workers)]
    if augment and not callable(augment):
        from fnn.digits.augment import AUGMENTATIONS
        augment = AUGMENTATIONS["affine"]
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose from {', '.join(LOSSES)}")
    changes = tuple((int(i), float(f)) for i, f in lr_changes)
    if any(not (math.isfinite(f) and f > 0) for _, f in changes):
        raise ValueError(f"lr_changes factors must be finite numbers > 0, got {lr_changes!r}")
    layers = as_layers(layers, params)
    if not dropout:                            # the same network, less work (see pool_before_relu)
        layers = pool_before_relu(layers)
    dtype = params["W1"].dtype
    Xr = np.ascontiguousarray(np.asarray(X, dtype=dtype).T)     # (m, n0): one example per row
    y = np.asarray(y)
    m = Xr.shape[0]
    per_epoch = -(-m // batch_size)
    state = opt_init(params)
    t = 0
    start = time.perf_counter()
    # workers - 1 threads: the calling thread runs the first shard itself instead of waiting
    pool = ThreadPoolExecutor(workers - 1) if workers > 1 else None   # lives as long as this generator
    observe = False
    try:
        for epoch in range(1, epochs + 1):
            for idx in minibatches(m, batch_size, shuffle_rng):
                alpha = learning_rate(lr, t / per_epoch, schedule, epochs, **schedule_args)
                t += 1
                alpha *= math.prod(f for i, f in changes if i <= t)
                Xb = Xr[idx].T                                   # (n0, b), F-ordered view
                if augment:
                    Xb = augment(Xb, augment_rng, y[idx])
                params, state, J, acc, *seen = train_step(params, state, Xb, y[idx], layers,
                                                          opt_update, alpha, loss, l2, dropout,
                                                          dropout_rng, workers, pool, observe)
                rec = {"kind": "step", "iteration": t, "epoch": epoch, "loss": J, "acc": acc,
                       "lr": alpha, "params": params, "lr_changes": changes}
                if seen:
                    rec["stats"] = seen[0]
                changes, observe = _heed((yield rec), changes, t)
            val_acc = None
            if X_val is not None and len(y_val):
                val_acc = accuracy(params, X_val, y_val, layers)
            changes, observe = _heed((yield {"kind": "epoch", "epoch": epoch, "iteration": t,
                                             "val_acc": val_acc, "params": params,
                                             "elapsed": time.perf_counter() - start,
                                             "lr_changes": changes}), changes, t)
    finally:
        if pool is not None:
            pool.shutdown()

