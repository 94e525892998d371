"""The training loop: mini-batches, one step, and fit, a generator over a whole run.

    for rec in fit(params, X, y, layers, epochs=10, X_val=Xv, y_val=yv, seed=0):
        if rec["kind"] == "step":   ...   # rec["iteration"], rec["loss"], rec["acc"], rec["params"]
        else:                       ...   # "epoch": rec["val_acc"], rec["elapsed"], rec["params"]

params and the optimizer state are values passed into a step and returned from it, and fit
hands every new params dict to its caller, who can log, keep the best, or stop between two
steps (Ctrl-C raises KeyboardInterrupt out of the generator; the last params yielded are whole).
How fit lays out the data, splits a batch across threads, and stays reproducible:
docs/performance.md.
"""
import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple, Optional

import numpy as np

from fnn.layers import as_layers, pool_before_relu
from fnn.losses import LOSSES, add_l2, l2_penalty, targets
from fnn.network import accuracy, backward, classes, compute_loss, forward
from fnn.optimizers import OPTIMIZERS, SCHEDULES
from fnn.analysis.stats import layer_stats


class Config(NamedTuple):
    """How fit trains; fit(..., config, epochs=2) changes single fields (Config._replace)."""
    loss: str = "cross_entropy"          # or "mse" (fnn.losses.LOSSES)
    optimizer: str = "adam"              # a key of fnn.optimizers.OPTIMIZERS
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3                     # alpha_0 of the schedule
    schedule: str = "constant"           # a key of fnn.optimizers.SCHEDULES (see learning_rate)
    schedule_args: Optional[dict] = None  # its decay, drop, every
    l2: float = 0.0                      # lambda of (lambda/2m) sum ||W||^2
    dropout: float = 0.0                 # p of inverted dropout on the hidden activations
    augment: Any = False                 # True (random_affine) or fnn.digits.augment.AUGMENTATIONS[...]
    seed: Any = 0                        # an int or np.random.SeedSequence: every random stream
    workers: Optional[int] = None        # threads a batch is split across; None: default_workers
    lr_changes: tuple = ()               # ((iteration, factor), ...) applied from the start


def minibatches(n, batch_size, rng):
    """Index arrays of the mini-batches of one epoch: a fresh permutation of range(n) from `rng`,
    cut into pieces of batch_size (the last one may be smaller). -> list of (b,) int arrays."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    perm = rng.permutation(n)
    return [perm[i:i + batch_size] for i in range(0, n, batch_size)]


def train_step(params, state, Xb, yb, layers, opt_update, lr, loss="cross_entropy", l2=0.0,
               dropout=0.0, rng=None):
    """One step of mini-batch gradient descent on the batch Xb (n0, b), yb (b,) labels:

        AL, cache     = forward(params, Xb, layers, dropout, rng)
        J             = compute_loss(cache, yb, loss, params, l2)
        grads         = backward(params, cache, yb, loss, l2)
        params, state = opt_update(params, grads, state, lr)

    opt_update: an optimizer's update, e.g. fnn.optimizers.OPTIMIZERS["adam"].update.
    -> (new params, new state, J before the update, batch accuracy mean(classes(A[L]) == yb)).
    fit runs the same step with the batch split across threads (sharded_step)."""
    AL, cache = forward(params, Xb, layers, dropout, rng)
    J = compute_loss(cache, yb, loss, params, l2)
    grads = backward(params, cache, yb, loss, l2)
    params, state = opt_update(params, grads, state, lr)
    return params, state, J, float(np.mean(classes(AL) == np.asarray(yb)))


def shard_gradients(params, Xb, yb, layers, loss, dropout, rngs, pool=None, keep=False):
    """forward and backward of the batch on K = len(rngs) consecutive column shards of sizes
    b_k, reduced in shard order into the gradient of the mean loss (docs/math.md, section 4):

        grads = sum_k (b_k / b) grads_k,      J = sum_k (b_k / b) J_k        (no L2 yet)

    Shard 0 runs in this thread, shards 1..K-1 in `pool` (K - 1 threads; NumPy and BLAS
    release the GIL), or in turn when pool is None. rngs: one dropout generator a shard.
    -> (grads, J, number of correct answers, shard 0's forward cache when keep, else None)."""
    b = Xb.shape[-1]
    K = max(1, min(len(rngs), b))
    cuts = [b * k // K for k in range(K + 1)]
    err = np.geterr()                    # a worker thread does not inherit the caller's np.errstate

    def shard(k):
        lo, hi = cuts[k], cuts[k + 1]
        with np.errstate(**err):
            AL, cache = forward(params, Xb[..., lo:hi], layers, dropout, rngs[k])
            Y = targets(yb[lo:hi], AL)                   # one-hot once, for J and for BP1
            J = compute_loss(cache, Y, loss) * (hi - lo)
            grads = backward(params, cache, Y, loss)
            if hi - lo != b:
                for g in grads.values():
                    g *= g.dtype.type((hi - lo) / b)     # b_k / b, in the shard's own thread
        correct = int(np.count_nonzero(classes(AL) == yb[lo:hi]))
        return grads, J, correct, (cache if keep and k == 0 else None)

    rest = [pool.submit(shard, k) for k in range(1, K)] if pool is not None else None
    results = [shard(0)] + ([f.result() for f in rest] if rest is not None else
                            [shard(k) for k in range(1, K)])
    grads, J, correct, cache = results[0]                # shard 0's new arrays: summed into
    for g_k, J_k, c_k, _ in results[1:]:
        for k, g in g_k.items():
            grads[k] += g
        J += J_k
        correct += c_k
    return grads, J / b, correct, cache


def sharded_step(params, state, Xb, yb, layers, opt_update, lr, loss, l2, dropout, rngs,
                 pool=None, observe=False):
    """train_step with the batch's gradient from shard_gradients; L2 is added once, after the
    sum. Bit for bit train_step's result for one shard (tests/test_train.py checks both).
    -> (params, state, J, batch accuracy, fnn.analysis.stats.layer_stats of the step when
    observe, else None: it only reads, so the weights are the same either way)."""
    b = Xb.shape[-1]
    grads, J, correct, cache = shard_gradients(params, Xb, yb, layers, loss, dropout, rngs, pool,
                                               keep=observe)
    J += l2_penalty(params, l2, b)
    grads = add_l2(grads, params, l2, b)
    new_params, state = opt_update(params, grads, state, lr)
    stats = layer_stats(params, grads, cache, new_params) if observe else None
    return new_params, state, J, correct / b, stats


def seed_streams(seed):
    """The independent seed streams fit draws from one seed: (shuffle, dropout, augment), three
    np.random.SeedSequence children. benchmarks/bench.py cuts PyTorch's batches from the first."""
    if not isinstance(seed, np.random.SeedSequence):
        seed = np.random.SeedSequence(seed)
    return seed.spawn(3)


def default_workers(params, layers, batch_size):
    """fit's worker count when none is given: 2 for a network with a convolution and batches of
    at least 32, else 1; never the machine's core count, so a seed gives the same weights
    anywhere (docs/performance.md says why)."""
    net = as_layers(layers, params)
    return 2 if batch_size >= 32 and any(spec["type"] == "conv" for spec in net) else 1


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


def drive(run, see):
    """Run fit's generator `run` to its end, sending see(rec) back in after every record:
    None, or a dict of what fit heeds ({"stats": True}, {"lr_factor": f}; fit's docstring)."""
    reply = None
    while True:
        try:
            rec = run.send(reply)
        except StopIteration:
            return
        reply = see(rec)


def heed(reply, changes, t):
    """What a caller sent into fit after iteration t -> (lr_changes, observe the next step)."""
    if not reply:
        return changes, False
    if "lr_factor" in reply:
        f = float(reply["lr_factor"])
        if not (math.isfinite(f) and f > 0):
            raise ValueError(f"lr_factor must be a finite number > 0, got {reply['lr_factor']!r}")
        changes = changes + ((t + 1, f),)
    return changes, bool(reply.get("stats"))


def fit(params, X, y, layers=None, config=None, X_val=None, y_val=None, **options):
    """Train params on (X (n0, m) float32, y (m,) int labels) and yield a record after every step
    and every epoch. A generator: nothing happens until the caller iterates.
    config: a Config; options: single fields of it, fit(params, X, y, net, epochs=2, lr=0.01).

    Step records:  {"kind": "step", "iteration": t (1-based), "epoch": e (1-based), "loss": J,
                    "acc": batch accuracy, "lr": alpha used, "params": params after the step,
                    "lr_changes": the changes so far}
    Epoch records: {"kind": "epoch", "epoch": e, "iteration": t, "val_acc": accuracy on
                    (X_val, y_val) or None, "elapsed": seconds since fit started, "params": ...,
                    "lr_changes": ...}
    A caller may send a dict back (drive does): {"stats": True} adds "stats" (layer_stats) to
    the next step record; {"lr_factor": f} multiplies the rate by f from the next iteration on.
    The rate of iteration t is alpha_t = schedule(t) prod {f : (i, f) in lr_changes, i <= t},
    so a run's final lr_changes passed to a new fit with its seed repeats it bit for bit.

    A relu that feeds a max-pool runs after it unless dropout is on (fnn.layers.pool_before_relu:
    the same values and gradients). The schedule is evaluated at the fractional epoch
    (t - 1) / iterations_per_epoch. The same seed and workers give the same weights bit for bit
    on the same kind of machine. A loss that is not finite is still yielded (the caller stops).
    """
    cfg = (config or Config())._replace(**options)
    if cfg.optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {cfg.optimizer!r}; choose from {', '.join(OPTIMIZERS)}")
    schedule_args = dict(cfg.schedule_args or {})
    learning_rate(cfg.lr, 0, cfg.schedule, cfg.epochs, **schedule_args)    # validates the name early
    optimizer = OPTIMIZERS[cfg.optimizer]
    shuffle_seq, dropout_seq, augment_seq = seed_streams(cfg.seed)
    shuffle_rng, augment_rng = np.random.default_rng(shuffle_seq), np.random.default_rng(augment_seq)
    workers = default_workers(params, layers, cfg.batch_size) if cfg.workers is None else int(cfg.workers)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    dropout_rngs = ([np.random.default_rng(dropout_seq)] if workers == 1 else   # one stream a shard
                    [np.random.default_rng(s) for s in dropout_seq.spawn(workers)])
    augment = cfg.augment
    if augment and not callable(augment):
        from fnn.digits.augment import AUGMENTATIONS
        augment = AUGMENTATIONS["affine"]
    if cfg.loss not in LOSSES:
        raise ValueError(f"unknown loss {cfg.loss!r}; choose from {', '.join(LOSSES)}")
    changes = tuple((int(i), float(f)) for i, f in cfg.lr_changes)
    if any(not (math.isfinite(f) and f > 0) for _, f in changes):
        raise ValueError(f"lr_changes factors must be finite numbers > 0, got {cfg.lr_changes!r}")
    layers = as_layers(layers, params)
    if not cfg.dropout:                        # the same network, less work (see pool_before_relu)
        layers = pool_before_relu(layers)
    Xr = np.ascontiguousarray(np.asarray(X, dtype=params["W1"].dtype).T)   # (m, n0): one example a row
    y = np.asarray(y)
    m = Xr.shape[0]
    per_epoch = -(-m // cfg.batch_size)
    state = optimizer.init(params)
    t, observe = 0, False
    start = time.perf_counter()
    pool = ThreadPoolExecutor(workers - 1) if workers > 1 else None   # lives as long as this generator
    try:
        for epoch in range(1, cfg.epochs + 1):
            for idx in minibatches(m, cfg.batch_size, shuffle_rng):
                alpha = learning_rate(cfg.lr, t / per_epoch, cfg.schedule, cfg.epochs, **schedule_args)
                t += 1
                alpha *= math.prod(f for i, f in changes if i <= t)
                Xb = Xr[idx].T                                   # (n0, b), F-ordered view
                if augment:
                    Xb = augment(Xb, augment_rng, y[idx])
                params, state, J, acc, stats = sharded_step(
                    params, state, Xb, y[idx], layers, optimizer.update, alpha, cfg.loss, cfg.l2,
                    cfg.dropout, dropout_rngs, pool, observe)
                rec = {"kind": "step", "iteration": t, "epoch": epoch, "loss": J, "acc": acc,
                       "lr": alpha, "params": params, "lr_changes": changes}
                if stats is not None:
                    rec["stats"] = stats
                changes, observe = heed((yield rec), changes, t)
            val_acc = None
            if X_val is not None and len(y_val):
                val_acc = accuracy(params, X_val, y_val, layers)
            changes, observe = heed((yield {"kind": "epoch", "epoch": epoch, "iteration": t,
                                             "val_acc": val_acc, "params": params,
                                             "elapsed": time.perf_counter() - start,
                                             "lr_changes": changes}), changes, t)
    finally:
        if pool is not None:
            pool.shutdown()
