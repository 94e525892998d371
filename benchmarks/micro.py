"""The speed choices left in fnn's hot paths, each timed against its plain alternative.

    python benchmarks/micro.py            # a few minutes; one line per choice
    python benchmarks/micro.py --quick    # fewer repeats and rows, for a smoke test
    python benchmarks/micro.py adam       # one case (several may be named)

Each case runs both versions on the sizes of the MNIST CNN of `train.py --arch cnn` (batch 64,
cut by fit into two shards of 32) or the MLP 784-128-128-10 (batch 128), checks that they
compute the same numbers, and reports the median time of each, interleaved repeat by repeat
so that a burst of load hits both. OpenBLAS runs on one thread, as in fit's workers. A ratio
below 1 means the shipped version is faster. The docstrings that explain a choice name its case.

  adam              fnn.optimizers.adam_update's in-place passes vs the plain form of its docstring.
  pool_before_relu  forward + backward of the CNN on a shard as fit runs it (relu after each
                    pool, fnn.layers.pool_before_relu) vs the user's layer order.
  workers           fit's steps for the CNN and the MLP with 2 workers vs 1
                    (fnn.training.default_workers).
  predict_batch     fnn.predict on the MNIST test set with the shipped models in its default
                    batches (fnn.network.predict_batch) vs batches of 1,000.
  subnormals        Adam flushing the subnormal entries of its state every 16 steps vs never,
                    per epoch of real MLP and CNN training runs, after timing what one
                    subnormal costs (fnn.optimizers.flush_subnormals).
"""
import argparse
import os
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")      # before NumPy loads OpenBLAS

import numpy as np                                           # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import fnn                                                   # noqa: E402
import fnn.optimizers as opt                                 # noqa: E402
from fnn.io.data import load_csv                                # noqa: E402
from fnn.layers import Conv, Dense, Flatten, Input, MaxPool, normalize, pool_before_relu  # noqa: E402
from fnn.training import fit                                 # noqa: E402

CNN = [Input(1, 28, 28), Conv(16, 3, pad=1), "relu", MaxPool(2), Conv(32, 3, pad=1), "relu",
       MaxPool(2), Flatten(), Dense(128), "relu", Dense(10), "softmax"]
MLP = [784, 128, 128, 10]
# --tiny: networks and data small enough for tests/test_micro.py to run every case in seconds
TINY_CNN = [Input(1, 28, 28), Conv(4, 3, pad=1), "relu", MaxPool(2), Flatten(), Dense(10), "softmax"]
TINY_MLP = [784, 16, 10]


def compare(name, shipped, alternative, repeats, inner=1, self_timed=False,
            labels=("shipped", "alternative")):
    """Median seconds of shipped() and alternative() over `repeats` interleaved rounds of
    `inner` calls each; prints them (under `labels`) and their ratio, and returns the ratio.
    self_timed: the functions return the seconds to count (their own set-up left out)."""
    times = {"shipped": [], "alternative": []}
    shipped(), alternative()                                   # warm up
    for r in range(repeats):
        order = [("shipped", shipped), ("alternative", alternative)]
        for key, f in (order if r % 2 == 0 else order[::-1]):
            t = time.perf_counter()
            for _ in range(inner):
                inside = f()
            times[key].append(inside if self_timed else (time.perf_counter() - t) / inner)
    a, b = np.median(times["shipped"]), np.median(times["alternative"])
    print(f"{name:18s} {labels[0]} {a * 1e3:8.3f} ms   {labels[1]} {b * 1e3:8.3f} ms   ratio {a / b:.2f}",
          flush=True)
    return a / b


def train_rows(n):
    """The first n MNIST training images (784, n) and labels."""
    return load_csv(ROOT / "data" / "mnist_train.csv.gz", max_rows=n)


def adam_plain(params, grads, state, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
    """adam_update's docstring, line by line (without the flush)."""
    t = state["t"] + 1
    m = {k: beta1 * state["m"][k] + (1 - beta1) * grads["d" + k] for k in params}
    v = {k: beta2 * state["v"][k] + (1 - beta2) * grads["d" + k] ** 2 for k in params}
    new = {k: params[k] - learning_rate * (m[k] / (1 - beta1 ** t)) / (np.sqrt(v[k] / (1 - beta2 ** t)) + eps)
           for k in params}
    return new, {"t": t, "m": m, "v": v}


def case_adam(reps, tiny):
    rng = np.random.default_rng(0)
    for name, net in (("adam MLP", TINY_MLP if tiny else MLP), ("  (the CNN)", TINY_CNN if tiny else CNN)):
        params = fnn.init_params(net, seed=0)
        grads = {"d" + k: rng.standard_normal(p.shape, dtype=np.float32) * 1e-2 for k, p in params.items()}
        state = opt.adam_init(params)
        for _ in range(3):                                    # a state with non-zero moments
            _, state = opt.adam_update(params, grads, state, 1e-3)
        a, b = opt.adam_update(params, grads, state, 1e-3)[0], adam_plain(params, grads, state, 1e-3)[0]
        for k in a:
            np.testing.assert_allclose(a[k], b[k], rtol=1e-5, atol=1e-7)
        compare(name, lambda: opt.adam_update(params, grads, state, 1e-3),
                lambda: adam_plain(params, grads, state, 1e-3), reps, 10)


def case_pool_before_relu(reps, tiny):
    net = normalize(TINY_CNN if tiny else CNN)
    fast = pool_before_relu(net)
    params = fnn.init_params(net, seed=0)
    X, y = train_rows(32)
    Xb = np.ascontiguousarray(X.T).T                          # laid out as fit gathers a batch

    def grads(layers):
        return fnn.backward(params, fnn.forward(params, Xb, layers)[1], y)
    a, b = grads(fast), grads(net)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    compare("pool_before_relu", lambda: grads(fast), lambda: grads(net), reps, 5)


def steps(params, X, y, layers, batch_size, n, workers):
    """Wall time per step of n steps of fit (after 3 warm-up steps)."""
    gen = fit(params, X, y, layers, batch_size=batch_size, epochs=100, seed=0, workers=workers)
    for _ in range(3):
        next(gen)
    t = time.perf_counter()
    for _ in range(n):
        next(gen)
    gen.close()
    return (time.perf_counter() - t) / n


def case_workers(reps, tiny):
    X, y = train_rows(512 if tiny else 12800)
    n = 4 if tiny else 40
    for name, net, batch in (("workers CNN 2:1", TINY_CNN if tiny else CNN, 64),
                             ("workers MLP 2:1", TINY_MLP if tiny else MLP, 128)):
        p = fnn.init_params(net, seed=0)
        compare(name, lambda: steps(p, X, y, net, batch, n, 2),
                lambda: steps(p, X, y, net, batch, n, 1), reps, self_timed=True)


def case_predict_batch(reps, tiny):
    X, _ = load_csv(ROOT / "data" / "mnist_test.csv.gz", max_rows=300 if tiny else 10_000)
    for name in ("cnn", "mlp"):                               # the shipped models
        params, layers, _ = fnn.load(ROOT / "data" / f"mnist_{name}.npz")
        big = 100 if tiny else 1000
        shipped = lambda: fnn.predict_proba(params, X, layers)                       # noqa: E731
        alternative = lambda: fnn.predict_proba(params, X, layers, batch_size=big)   # noqa: E731
        a, b = shipped(), alternative()
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
        assert np.array_equal(a.argmax(axis=0), b.argmax(axis=0))
        compare("predict_batch" if name == "cnn" else "  (the MLP)", shipped, alternative, reps)


def case_subnormals(reps, tiny):
    """Adam with its state flushed of subnormals every FLUSH_EVERY steps (shipped) vs never,
    on real training runs: fit trains the MLP (batch 128) and the CNN (batch 64, 2 workers)
    from one seed, and every step runs adam_update both ways on the same params and gradients,
    each way carrying its own state, in alternating order. The two must give the same params
    bit for bit. Per epoch: the median time of an Adam step each way, and how many entries of
    m the unflushed state holds below float32's smallest normal number. First, what one
    subnormal costs: x * 0.1 over 118,282 floats (the MLP's parameters), all normal, vs the
    same with 2,000 of them subnormal."""
    m = np.float32(4 * 2.0 ** -149)                   # the fixed point: 0.1 m rounds to 0
    assert (np.float32(0) - m) * np.float32(0.1) + m == m
    tiny_normal = np.finfo(np.float32).tiny
    rng = np.random.default_rng(0)
    normal = rng.standard_normal(118_282).astype(np.float32)
    some = normal.copy()
    some[rng.choice(normal.size, 2000, replace=False)] = np.float32(1e-39)
    compare("subnormals", lambda: normal * np.float32(0.1), lambda: some * np.float32(0.1), reps, 20,
            labels=("x * 0.1 all normal", "2,000 subnormal"))
    full = reps > 3 and not tiny
    runs = (("MLP", TINY_MLP if tiny else MLP, 128, 5 if full or tiny else 1),
            ("CNN", TINY_CNN if tiny else CNN, 64, 3 if tiny else 2 if full else 1))   # tiny: a flush and after
    X, y = train_rows(60000 if full else (512 if tiny else 2560))
    for name, layers, batch, epochs in runs:
        state = {}
        times = {"shipped": [], "alternative": []}

        def never_flushed(params, grads, st, lr):
            every, opt.FLUSH_EVERY = opt.FLUSH_EVERY, 1 << 62
            try:
                return opt.adam_update(params, grads, st, lr)
            finally:
                opt.FLUSH_EVERY = every

        def both(params, grads, st, lr):
            alt_state = state.get("alt", st)
            ways = [("shipped", opt.adam_update, st), ("alternative", never_flushed, alt_state)]
            out = {}
            for key, f, s in (ways if st["t"] % 2 == 0 else ways[::-1]):
                t = time.perf_counter()
                out[key] = f(params, grads, s, lr)
                times[key].append(time.perf_counter() - t)
            (p_a, s_a), (p_b, s_b) = out["shipped"], out["alternative"]
            assert all(np.array_equal(p_a[k], p_b[k]) for k in p_a)
            state["alt"] = s_b
            return p_a, s_a
        opt.OPTIMIZERS["_both"] = opt.OPTIMIZERS["adam"]._replace(update=both)
        try:
            params = fnn.init_params(layers, seed=0)
            for rec in fit(params, X, y, layers, optimizer="_both", epochs=epochs, batch_size=batch,
                           seed=0, workers=2 if name == "CNN" else 1):
                if rec["kind"] != "epoch":
                    continue
                a, b = np.median(times["shipped"]), np.median(times["alternative"])
                stuck = sum(int(np.count_nonzero((v != 0) & (np.abs(v) < tiny_normal)))
                            for v in state["alt"]["m"].values())
                print(f"{' ':18s} {name} epoch {rec['epoch']}: an Adam step shipped {a * 1e3:.3f} ms   "
                      f"never flushed {b * 1e3:.3f} ms ({stuck:,} subnormal entries in m)   "
                      f"ratio {a / b:.2f}", flush=True)
                times = {"shipped": [], "alternative": []}
        finally:
            del opt.OPTIMIZERS["_both"]


CASES = {"adam": case_adam, "pool_before_relu": case_pool_before_relu, "workers": case_workers,
         "predict_batch": case_predict_batch, "subnormals": case_subnormals}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 repeats instead of 15, fewer rows")
    ap.add_argument("--tiny", action="store_true",
                    help="small networks and a few hundred rows: checks that every case runs")
    ap.add_argument("cases", nargs="*", choices=[[], *CASES], default=[],
                    help="which cases (default: all)")
    args = ap.parse_args(argv)
    reps = 1 if args.tiny else 3 if args.quick else 15
    for name in args.cases or CASES:
        CASES[name](reps, args.tiny)
    return 0


if __name__ == "__main__":
    sys.exit(main())
