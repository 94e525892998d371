"""fnn against PyTorch CPU on MNIST, side by side: the figures of docs/benchmarks.md.

    python benchmarks/bench.py                   # the full run (about 10 minutes on 2 cores):
                                                 # writes docs/benchmarks.md, docs/benchmarks.json
                                                 # and the README's Results block
    python benchmarks/bench.py --quick           # 2,000 images, one repeat: prints, writes nothing
    python benchmarks/bench.py --sections mlp,inference --out /tmp/b

Sections:
  mlp        784-128-128-10 relu, batch 128, Adam lr 1e-3: seconds per epoch, test accuracy after
             5 epochs, with the threads as found.
  cnn        train.py's CNN, batch 64, Adam lr 1e-3, 1 epoch: fnn with 2 workers and BLAS on one
             thread inside them (as train.py runs it), PyTorch with its threads.
  threads1   both again with one thread each (fnn 1 worker).
  inference  one digit the draw.py way (mnistify, then predict_proba), and the whole test set
             (fnn.predict in its default batches; PyTorch in batches of the same size), for
             the networks the sections above trained and for draw.py's default model.

Fairness: both sides train the same layers from the same initial weights (fnn's copied into
torch), in float32, on the same batches in the same order: both are cut by
fnn.training.minibatches from the shuffling stream of fit, inside each side's timed epoch.
fnn runs fit as users do; PyTorch runs the plain zero_grad/backward/step loop
(benchmarks/torch_models.py). The sides alternate epoch by epoch in one process, so a burst of
load hits both; the figures are medians over all epochs of all repeats.

Without torch (or with --no-torch) fnn alone is measured and the report says so. Without
threadpoolctl the BLAS threads stay as found and threads1 is skipped.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import fnn                                                          # noqa: E402
from fnn import Conv, Dense, Flatten, Input, MaxPool                # noqa: E402
from fnn.io.data import load_csv                                       # noqa: E402
from fnn.network import predict_batch                               # noqa: E402
from fnn.digits.preprocess import mnistify                                 # noqa: E402
from fnn.training import fit, minibatches, seed_streams             # noqa: E402

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:
    threadpool_info = threadpool_limits = None

MLP = [Input(784), Dense(128), "relu", Dense(128), "relu", Dense(10), "softmax"]
CNN = [Input(1, 28, 28), Conv(16, 3, pad=1), "relu", MaxPool(2), Conv(32, 3, pad=1), "relu",
       MaxPool(2), Flatten(), Dense(128), "relu", Dense(10), "softmax"]     # train.py --arch cnn
LR = 1e-3
DIGIT_BLOCKS, SETTLE_S = 6, 0.5         # one-digit calls alternate sides in 6 blocks, 0.5 s apart
SHIPPED = "data/mnist_cnn.npz"           # draw.py's default model, timed one digit at a time
SECTIONS = ("mlp", "cnn", "threads1", "inference")
FULL = dict(n_train=None, n_test=None, repeats=3, mlp_epochs=5, cnn_epochs=1, digit_calls=300,
            set_calls=3)
QUICK = dict(n_train=2000, n_test=500, repeats=1, mlp_epochs=1, cnn_epochs=1, digit_calls=20,
             set_calls=1)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def load_torch(disabled):
    """(benchmarks/torch_models, None), or (None, why PyTorch is not run)."""
    if disabled:
        return None, "not run (--no-torch)"
    try:
        import torch_models
    except ImportError as e:
        return None, f"not installed ({e.name or e}): fnn alone"
    return torch_models, None


def blas_threads(n):
    """A context in which NumPy's BLAS uses n threads (as found when n is None)."""
    if n is None or threadpool_limits is None:
        return nullcontext()
    return threadpool_limits(n, user_api="blas")


# ---- one epoch of each side ------------------------------------------------------------------

def fnn_epochs(params, X, y, layers, batch_size, seed, epochs, workers=1):
    """fnn.training.fit as users run it; each call of the returned function runs one epoch."""
    gen = fit(params, X, y, layers, optimizer="adam", epochs=epochs, batch_size=batch_size,
              lr=LR, seed=seed, workers=workers)

    def one_epoch():
        for rec in gen:
            if rec["kind"] == "epoch":
                return rec["params"]
        raise RuntimeError("fit stopped before the epoch ended")
    return one_epoch


def shuffle_stream(seed):
    """The shuffling stream of fit(seed=seed) (the first of fnn.training.seed_streams), so that
    PyTorch gets the very same batches. tests/test_bench.py fails if the two drift apart."""
    return np.random.default_rng(seed_streams(seed)[0])


def torch_epochs(tm, params, X, y, layers, batch_size, seed):
    """The PyTorch side, from the same initial params; each call runs one epoch."""
    model, rng = tm.build(layers, params), shuffle_stream(seed)
    opt, rows = tm.adam(model, LR), {}

    def one_epoch():
        if not rows:                     # the (m, 784) layout is set up inside the epoch, as in fit
            rows["X"], rows["y"] = tm.as_rows(X), tm.torch.from_numpy(np.asarray(y))
        tm.train_epoch(model, opt, rows["X"], rows["y"], minibatches(X.shape[1], batch_size, rng))
        return model
    return one_epoch


def timed(f):
    t0 = time.perf_counter()
    out = f()
    return time.perf_counter() - t0, out


def train_both(name, layers, batch_size, epochs, data, cfg, tm, workers=1, fnn_blas=None):
    """fnn and PyTorch trained epoch by epoch in turn (fnn first in even repeats), from the same
    weights. -> seconds per epoch and test accuracy per repeat of each side, and the last
    trained fnn params and torch model (for the inference section)."""
    X, y, Xt, yt = data
    res = {"epochs": epochs, "workers": workers, "fnn_s": [], "torch_s": [], "fnn_acc": [],
           "torch_acc": []}
    with blas_threads(fnn_blas):         # untimed warm-up: lazy set-up, first BLAS calls
        fnn_epochs(fnn.init_params(layers, seed=0), X[:, :256], y[:256], layers, batch_size, 0, 1,
                   workers)()
    if tm:
        torch_epochs(tm, fnn.init_params(layers, seed=0), X[:, :256], y[:256], layers,
                     batch_size, 0)()
    for r in range(cfg["repeats"]):
        p0 = fnn.init_params(layers, seed=r)
        run = {"fnn": fnn_epochs(p0, X, y, layers, batch_size, r, epochs, workers)}
        if tm:
            run["torch"] = torch_epochs(tm, p0, X, y, layers, batch_size, r)
        trained = {}
        for e in range(epochs):
            for side in (sorted(run) if r % 2 == 0 else sorted(run, reverse=True)):
                with blas_threads(fnn_blas if side == "fnn" else None):
                    s, out = timed(run[side])
                res[f"{side}_s"].append(s)
                trained[side] = out
            log(f"  {name} repeat {r + 1} epoch {e + 1}: "
                + ", ".join(f"{side} {res[side + '_s'][-1]:.2f} s" for side in run))
        res["fnn_acc"].append(100 * fnn.accuracy(trained["fnn"], Xt, yt, layers))
        if tm:
            res["torch_acc"].append(100 * float(np.mean(tm.predict(trained["torch"], tm.as_rows(Xt))
                                                        == yt)))
        log(f"  {name} repeat {r + 1}: test accuracy "
            + ", ".join(f"{side} {res[side + '_acc'][-1]:.2f} %" for side in run))
    return res, trained


def inference(name, layers, trained, data, cfg, tm):
    """Median ms of one digit (mnistify + predict_proba, the draw.py path) and median s of the
    whole test set, fnn and (when trained) PyTorch."""
    Xt = data[2]
    images = [Xt[:, j].reshape(28, 28) for j in range(min(100, Xt.shape[1]))]
    params, model = trained["fnn"], trained.get("torch")
    digit = {"fnn": lambda img: fnn.predict_proba(params, mnistify(img), layers)}
    batch = predict_batch(params, layers)            # fnn.predict's default; PyTorch gets the same
    whole = {"fnn": lambda: fnn.predict(params, Xt, layers)}
    if model is not None:
        rows = tm.as_rows(Xt)
        digit["torch"] = lambda img: tm.predict_one(model, mnistify(img))
        whole["torch"] = lambda: tm.predict(model, rows, batch_size=batch)
        agree = np.mean([digit["fnn"](i).argmax() == digit["torch"](i).argmax() for i in images[:20]])
        log(f"  {name}: one-digit predictions agree on {100 * agree:.0f} % of 20 images")
    calls, sets = {side: [] for side in digit}, {side: [] for side in digit}
    # The sides alternate in blocks, each after a pause: right after a call, the other library's
    # BLAS or OpenMP threads still spin for a while, and one digit at a time would time that
    # contention (several ms) instead of what draw.py, which has only fnn, sees.
    per_block = max(1, cfg["digit_calls"] // DIGIT_BLOCKS)
    for block in range(DIGIT_BLOCKS):
        for side in digit:
            if len(digit) > 1:                   # fnn alone has no other threads to wait for
                time.sleep(SETTLE_S)
            for k in range(block * per_block, (block + 1) * per_block):
                calls[side].append(timed(lambda: digit[side](images[k % len(images)]))[0])
    for _ in range(cfg["set_calls"]):
        for side in whole:
            sets[side].append(timed(whole[side])[0])
    res = {"batch": min(batch, Xt.shape[1])}
    for side in digit:
        res[f"digit_{side}_ms"] = 1e3 * median(calls[side])
        res[f"set_{side}_s"] = median(sets[side])
    log(f"  {name} inference: {res}")
    return res


# ---- machine and report ----------------------------------------------------------------------

def machine(tm):
    """What the figures depend on: CPU model (lscpu), BLAS kernel and threads (threadpoolctl),
    versions."""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        cpu = next(l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown"
    blas = [f"{i['prefix']} {i['version']}, {i.get('architecture', '?')} kernels, "
            f"{i['num_threads']} threads" for i in (threadpool_info() if threadpool_info else [])
            if i["user_api"] == "blas"] or ["threadpoolctl not installed: BLAS not identified"]
    return {"cpu": f"{cpu}, {os.cpu_count()} logical cores", "blas": "; ".join(blas),
            "python": platform.python_version(), "numpy": np.__version__,
            "torch": f"{tm.torch.__version__}, {tm.torch.get_num_threads()} threads" if tm else None}


def median(xs):
    return statistics.median(xs) if xs else None


def cell(xs, fmt, unit=""):
    """Median of xs, with the range when there are several."""
    if not xs:
        return "—"
    if len(xs) == 1:
        return f"{xs[0]:{fmt}}{unit}"
    return f"{median(xs):{fmt}}{unit} ({min(xs):{fmt}}–{max(xs):{fmt}})"


def one(x, fmt):
    return "—" if x is None else f"{x:{fmt}}"


def ratio(a, b):
    return "—" if a is None or b is None else f"{a / b:.2f}"


NETS = {"mlp": "MLP 784-128-128-10, batch 128, Adam",
        "cnn": "CNN conv16-pool-conv32-pool-128-10, batch 64, Adam"}


def label(name):
    """A row's name for an inference entry: MLP, CNN, or the shipped model's file."""
    return f"draw.py's default model ({SHIPPED})" if name == "shipped" else name.upper()


def report(res):
    """docs/benchmarks.md from the results dict (the content of docs/benchmarks.json)."""
    m, runs = res["machine"], res["runs"]
    L = ["# fnn against PyTorch CPU", "",
         f"Written by `{res['command']}` on {res['date']}, commit {res['commit']}"
         + (" (**--quick: a small slice, to show the script works; not the published figures**)"
            if res["quick"] else "") + ".", "", *([res["note"], ""] if res.get("note") else []),
         f"- CPU: {m['cpu']}", f"- BLAS: {m['blas']}",
         f"- Python {m['python']}, NumPy {m['numpy']}, PyTorch {m['torch'] or res['torch_missing']}",
         "", "| benchmark | fnn | PyTorch | fnn / PyTorch |", "|---|---|---|---|"]
    for name, r in runs.items():
        threads = ", 1 thread each" if name.endswith("1") else ""
        workers = f" (fnn {r['workers']} workers)" if r["workers"] > 1 else ""
        L.append(f"| {NETS[name[:3]]}{threads}{workers}: s / epoch | {cell(r['fnn_s'], '.2f')} | "
                 f"{cell(r['torch_s'], '.2f')} | {ratio(median(r['fnn_s']), median(r['torch_s']))} |")
        epochs = f"{r['epochs']} epoch" + "s" * (r["epochs"] > 1)
        L.append(f"| {name[:3].upper()}{threads}: test accuracy after {epochs} | "
                 f"{cell(r['fnn_acc'], '.2f', ' %')} | {cell(r['torch_acc'], '.2f', ' %')} | |")
    for name, r in res["inference"].items():
        L.append(f"| one digit, {label(name)} (mnistify + predict_proba): ms | "
                 f"{r['digit_fnn_ms']:.3f} | {one(r.get('digit_torch_ms'), '.3f')} | "
                 f"{ratio(r['digit_fnn_ms'], r.get('digit_torch_ms'))} |")
        L.append(f"| whole test set ({res['n_test']:,} images), {label(name)}, batches of "
                 f"{r['batch']:,}: s | {r['set_fnn_s']:.3f} | "
                 f"{one(r.get('set_torch_s'), '.3f')} | "
                 f"{ratio(r['set_fnn_s'], r.get('set_torch_s'))} |")
    L += ["", "Seconds are medians over every epoch of every repeat (range in brackets); accuracy "
          f"is on the {res['n_test']:,} test images, median over repeats. The method is in the "
          "docstring of benchmarks/bench.py. Raw seconds per epoch, in the order measured:", ""]
    L += [f"- {name} {side}: " + ", ".join(f"{s:.3f}" for s in r[f"{side}_s"])
          for name, r in runs.items() for side in ("fnn", "torch") if r[f"{side}_s"]]
    return "\n".join(L) + "\n"


def git_commit():
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, timeout=20).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "fnn", "benchmarks"], cwd=ROOT,
                               capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (out or "unknown") + (" with uncommitted changes" if dirty else "")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2,000 images, one repeat; prints the "
                    "report instead of writing docs/")
    ap.add_argument("--no-torch", action="store_true", help="fnn alone even if torch is installed")
    ap.add_argument("--sections", default=",".join(SECTIONS),
                    help=f"a comma-separated subset of {','.join(SECTIONS)} (default: all)")
    ap.add_argument("--out", help="folder for benchmarks.md and benchmarks.json (default docs/; "
                    "with --quick none: the report goes to stdout)")
    args = ap.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    bad = [s for s in sections if s not in SECTIONS]
    if bad:
        ap.error(f"unknown section(s) {', '.join(bad)}; choose from {', '.join(SECTIONS)}")
    cfg = QUICK if args.quick else FULL
    tm, why = load_torch(args.no_torch)
    if "threads1" in sections and threadpool_limits is None:
        log("threads1 skipped: it needs threadpoolctl to set the BLAS threads")
        sections.remove("threads1")
    log(f"PyTorch: {tm.torch.__version__ if tm else why}")
    X, y = load_csv(ROOT / "data" / "mnist_train.csv.gz", max_rows=cfg["n_train"])
    Xt, yt = load_csv(ROOT / "data" / "mnist_test.csv.gz", max_rows=cfg["n_test"])
    data = (X, y, Xt, yt)
    cnn_data = (X[:, :512], y[:512], Xt, yt) if args.quick else data
    res = {"command": " ".join(["python benchmarks/bench.py", *(argv if argv is not None
                                                                 else sys.argv[1:])]),
           "date": f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
           "commit": git_commit(), "quick": args.quick, "n_test": Xt.shape[1],
           "machine": machine(tm), "torch_missing": why, "runs": {}, "inference": {}}
    trained = {}
    plan = [("mlp", MLP, 128, "mlp_epochs", data, 1, None),       # name, net, batch, epochs, data,
            ("cnn", CNN, 64, "cnn_epochs", cnn_data, 2, 1)]        # fnn's workers, its BLAS threads
    for name, layers, batch, epochs, d, workers, fnn_blas in plan:
        if name in sections:
            log(f"[{name}]")
            res["runs"][name], trained[name] = train_both(name, layers, batch, cfg[epochs], d, cfg,
                                                          tm, workers, fnn_blas)
    if "threads1" in sections:
        before = tm.torch.get_num_threads() if tm else None
        if tm:
            tm.torch.set_num_threads(1)
        try:
            with blas_threads(1):
                for name, layers, batch, epochs, d, _, _ in plan:
                    log(f"[{name}1]")
                    res["runs"][name + "1"] = train_both(name + "1", layers, batch, cfg[epochs],
                                                         d, cfg, tm)[0]
        finally:
            if tm:
                tm.torch.set_num_threads(before)
    if "inference" in sections:
        for name, layers, *_ in plan:
            if name in trained:
                log(f"[inference {name}]")
                res["inference"][name] = inference(name, layers, trained[name], data, cfg, tm)
        params, layers, _ = fnn.load(ROOT / SHIPPED)       # what draw.py runs by default
        log(f"[inference shipped: {SHIPPED}]")
        res["inference"]["shipped"] = inference(
            "shipped", layers, {"fnn": params, "torch": tm.build(layers, params) if tm else None},
            data, cfg, tm)
    text = report(res)
    out = Path(args.out) if args.out else (None if args.quick else ROOT / "docs")
    if out is None:
        print(text, end="")
        return 0
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmarks.md").write_text(text, encoding="utf-8")
    (out / "benchmarks.json").write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {out / 'benchmarks.md'} and {out / 'benchmarks.json'}")
    if out.resolve() == (ROOT / "docs").resolve():
        import readme_results
        readme_results.main([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
