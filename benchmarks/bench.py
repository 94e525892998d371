"""fnn against PyTorch CPU and the classic full-batch loop, on MNIST: the figures in docs/benchmarks.md.

    python benchmarks/bench.py                # the full run; writes docs/benchmarks.md (its header says how long it took)
    python benchmarks/bench.py --quick        # a small slice in a few seconds; prints, writes nothing
    python benchmarks/bench.py --no-torch     # fnn alone (what happens anyway without torch)

What is measured (each one a function below):
  1. mlp        784-128-128-10 relu, batch 128, Adam lr 1e-3: seconds per epoch, test accuracy
                after 5 epochs.
  2. cnn        conv(16,3x3,pad 1)-relu-maxpool 2-conv(32,3x3,pad 1)-relu-maxpool 2-dense 128-relu-
                dense 10, batch 64, Adam lr 1e-3: seconds per epoch, test accuracy after 1 epoch.
  3. train      the default `python train.py` in a subprocess (its model goes to a temp dir):
                wall time, final test accuracy, peak memory.
  4. inference  one digit as draw.py does it (fnn.preprocess.mnistify of a 28x28 image, then
                fnn.predict_proba), and the whole 10,000-image test set (fnn.predict).
  5. memory     peak resident memory (ru_maxrss from os.wait4) of fresh processes that load MNIST
                and train (fnn and PyTorch), next to one that only loads MNIST, and what training
                added on top of the loaded data (the peak after a reset, minus the resident set).
  6. classic    the derivation's full-batch loop: 784-10-10, plain gradient descent, lr 0.1,
                500 iterations on all 60,000 images at once.

Fairness. Both sides train the same layers from the SAME initial weights (fnn's init copied into
torch), in float32, on the same batches in the same order (both cut them with
fnn.training.minibatches from the same seed stream, each inside its own timed epoch, so each
pays for its own shuffling and gathering). fnn runs exactly what users run, fnn.training.fit;
PyTorch runs the plain train()/zero_grad()/backward()/step() loop with CrossEntropyLoss on the
logits (benchmarks/torch_models.py). No thread setting is changed: OpenBLAS and torch use what
they find, and the report states both. The two are interleaved in one process, epoch by epoch
(fnn first in even repeats, PyTorch first in odd ones), so a burst of load hits both; medians
over all epochs of all repeats are reported, with the range.

torch is optional: without it (or with --no-torch) every fnn figure is still measured and the
report says PyTorch was not run. fnn never imports torch; only benchmarks/torch_models.py does.
"""
import argparse
import ctypes
import datetime
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import fnn                                           # noqa: E402  (after the sys.path line)
from fnn.data import load_csv                        # noqa: E402
from fnn.network import predict_batch               # noqa: E402
from fnn.preprocess import mnistify                  # noqa: E402
from fnn.training import fit, minibatches, seed_streams  # noqa: E402
import train                                         # noqa: E402  (its main() is not run)

MLP = [784, 128, 128, 10]
CNN = train.CNN_LAYERS                               # the network of train.py --arch cnn
CLASSIC = [784, 10, 10]
LR = 1e-3
SECTIONS = ("mlp", "cnn", "threads1", "train", "inference", "memory", "classic")
TARGETS = {"mlp_ratio": 0.8, "cnn_ratio": 1.0, "acc_points": 0.3, "one_digit_ms": 2.0}
FULL = dict(n_train=None, n_test=None, repeats=3, mlp_epochs=5, cnn_epochs=1, classic_iters=500,
            classic_repeats=2, digit_calls=300, memory_steps=200)
QUICK = dict(n_train=2000, n_test=1000, repeats=1, mlp_epochs=1, cnn_epochs=1, classic_iters=20,
             classic_repeats=1, digit_calls=20, memory_steps=5)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def load_torch(disabled):
    """(torch_models module, None) or (None, why not)."""
    if disabled:
        return None, "not run (--no-torch)"
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import torch_models
    except ImportError as e:
        return None, f"not installed ({e.name or e}): fnn alone"
    return torch_models, None


# ---- timing helpers --------------------------------------------------------------------------

def fnn_epochs(params, X, y, layers, batch_size, seed, epochs, workers=1):
    """fnn.training.fit as users run it, one epoch per call of the returned function."""
    gen = fit(params, X, y, layers, optimizer="adam", epochs=epochs, batch_size=batch_size,
              lr=LR, seed=seed, workers=workers)

    def one_epoch():
        for rec in gen:
            if rec["kind"] == "epoch":
                return rec["params"]
        raise RuntimeError("fit stopped before the epoch ended")
    return one_epoch


def shuffle_stream(seed):
    """The shuffling stream fit(seed=seed) uses (the first of fnn.training.seed_streams), so the
    PyTorch side cuts the very same batches. tests/test_bench.py fails if the two drift apart."""
    return np.random.default_rng(seed_streams(seed)[0])


def torch_epochs(tm, params, X, y, layers, batch_size, seed):
    """The PyTorch side, from the same initial params: a function running one epoch per call."""
    model = tm.build(layers, params)
    opt = tm.adam(model, LR)
    rng = shuffle_stream(seed)
    data = {}

    def one_epoch():
        if not data:                     # the row layout is set up inside the epoch, as in fit
            data["X"], data["y"] = tm.as_rows(X), tm.torch.from_numpy(np.asarray(y))
        tm.train_epoch(model, opt, data["X"], data["y"], minibatches(X.shape[1], batch_size, rng))
        return model
    return one_epoch


def timed(f):
    t0 = time.perf_counter()
    out = f()
    return time.perf_counter() - t0, out


def train_both(name, layers, batch_size, epochs, data, cfg, tm, workers=1):
    """Interleaved training of fnn and torch: per repeat, epoch e of fnn next to epoch e of torch.
    workers > 1: fnn's data-parallel threads (fit's workers)."""
    X, y, Xt, yt = data
    res = {"fnn_s": [], "torch_s": [], "fnn_acc": [], "torch_acc": [], "fnn_params": None,
           "torch_model": None, "workers": workers}
    # Warm-up, untimed: a first epoch pays one-off costs (PyTorch's lazy initialisation,
    # NumPy's first BLAS calls, page faults) that say nothing about training speed.
    p0 = fnn.init_params(layers, seed=0)
    fnn_epochs(p0, X[:, :256], y[:256], layers, batch_size, 0, 1, workers)()
    if tm:
        torch_epochs(tm, p0, X[:, :256], y[:256], layers, batch_size, 0)()
    for r in range(cfg["repeats"]):
        p0 = fnn.init_params(layers, seed=r)
        f_ep = fnn_epochs(p0, X, y, layers, batch_size, r, epochs, workers)
        t_ep = torch_epochs(tm, p0, X, y, layers, batch_size, r) if tm else None
        for e in range(epochs):
            sides = ["fnn", "torch"] if (r % 2 == 0) else ["torch", "fnn"]
            for side in sides:
                if side == "fnn":
                    s, params = timed(f_ep)
                    res["fnn_s"].append(s)
                elif t_ep is not None:
                    s, model = timed(t_ep)
                    res["torch_s"].append(s)
            log(f"  {name} repeat {r + 1}/{cfg['repeats']} epoch {e + 1}: fnn {res['fnn_s'][-1]:.2f} s"
                + (f", torch {res['torch_s'][-1]:.2f} s" if t_ep else "") + f"  (load {load():.2f})")
        res["fnn_acc"].append(100 * fnn.accuracy(params, Xt, yt, layers))
        res["fnn_params"] = params
        if t_ep is not None:
            res["torch_acc"].append(100 * float(np.mean(tm.predict(model, tm.as_rows(Xt)) == yt)))
            res["torch_model"] = model
        log(f"  {name} repeat {r + 1}: test accuracy fnn {res['fnn_acc'][-1]:.2f}%"
            + (f", torch {res['torch_acc'][-1]:.2f}%" if t_ep else ""))
    return res


# ---- the six measurements --------------------------------------------------------------------

def bench_mlp(data, cfg, tm):
    return train_both("mlp", MLP, 128, cfg["mlp_epochs"], data, cfg, tm)


def bench_cnn(data, cfg, tm):
    X, y, Xt, yt = data
    if cfg["n_train"] is not None:       # --quick: a CNN epoch on a few hundred images is enough
        data = (X[:, :512], y[:512], Xt[:, :500], yt[:500])
    # fnn gets as many data-parallel workers as torch has threads (1 without torch), with
    # NumPy's OpenBLAS on one thread inside them (as train.py runs); torch keeps its threads
    workers = tm.torch.get_num_threads() if tm else 1
    before = set_threads(1, tm, workers) if workers > 1 else None
    try:
        return train_both("cnn", CNN, 64, cfg["cnn_epochs"], data, cfg, tm, workers)
    finally:
        if before is not None:
            set_threads(before[0], tm, before[1])


def bench_classic(data, cfg, tm):
    """784-10-10, relu + softmax, plain gradient descent on the whole set, lr 0.1."""
    X, y, Xt, yt = data
    res = {"fnn_s": [], "torch_s": [], "fnn_acc": [], "torch_acc": []}
    iters = cfg["classic_iters"]
    if tm:                               # converted once, outside the timed runs
        X_rows, y_t, Xt_rows = tm.as_rows(X), tm.torch.from_numpy(y), tm.as_rows(Xt)
    for r in range(cfg["classic_repeats"]):
        p0 = fnn.init_params(CLASSIC, seed=r)

        def run_fnn():
            params = p0
            for _ in range(iters):
                AL, cache = fnn.forward(params, X)
                params = fnn.update(params, fnn.backward(params, cache, y), 0.1)
            return params

        model = tm.build(CLASSIC, p0) if tm else None

        def run_torch():
            tm.full_batch_gd(model, X_rows, y_t, 0.1, iters)
            return model

        for side in (["fnn", "torch"] if r % 2 == 0 else ["torch", "fnn"]):
            if side == "fnn":
                s, params = timed(run_fnn)
                res["fnn_s"].append(s)
                res["fnn_acc"].append(100 * fnn.accuracy(params, Xt, yt))
            elif tm:
                s, model = timed(run_torch)
                res["torch_s"].append(s)
                res["torch_acc"].append(100 * float(np.mean(tm.predict(model, Xt_rows) == yt)))
        log(f"  classic repeat {r + 1}: fnn {res['fnn_s'][-1]:.2f} s {res['fnn_acc'][-1]:.2f}%"
            + (f", torch {res['torch_s'][-1]:.2f} s {res['torch_acc'][-1]:.2f}%" if tm else ""))
    return res


def bench_inference(data, cfg, tm, trained):
    """One digit the draw.py way (mnistify + predict_proba), and the whole test set (predict).
    Uses the networks trained by the mlp and cnn sections."""
    _, _, Xt, _ = data
    images = [Xt[:, j].reshape(28, 28) for j in range(min(100, Xt.shape[1]))]
    res = {}
    for name, layers in (("mlp", None), ("cnn", CNN)):
        if name not in trained:
            continue
        params, model = trained[name]["fnn_params"], trained[name]["torch_model"]
        one_fnn = lambda img: fnn.predict_proba(params, mnistify(img), layers)
        one_torch = (lambda img: tm.predict_one(model, mnistify(img))) if model is not None else None
        if one_torch is not None:            # the two give the same digit for the same image
            same = np.mean([one_fnn(i).argmax() == one_torch(i).argmax() for i in images[:20]])
            log(f"  {name}: one-digit predictions agree on {100 * same:.0f}% of 20 images")
        calls = {"fnn": [], "torch": []}
        for block in range(max(1, cfg["digit_calls"] // 50)):
            n = min(50, cfg["digit_calls"])
            for side, f in (("fnn", one_fnn), ("torch", one_torch)):
                if f is None:
                    continue
                for k in range(n):
                    img = images[(block * n + k) % len(images)]
                    t0 = time.perf_counter()
                    f(img)
                    calls[side].append(time.perf_counter() - t0)
        whole = {"fnn": [], "torch": []}
        Xrows = tm.as_rows(Xt) if model is not None else None
        batch = predict_batch(params, layers)     # fnn.predict's default; PyTorch gets the same
        for _ in range(3 if cfg["n_train"] is None else 1):
            whole["fnn"].append(timed(lambda: fnn.predict(params, Xt, layers))[0])
            if model is not None:
                whole["torch"].append(timed(lambda: tm.predict(model, Xrows, batch_size=batch))[0])
        res[name] = {"digit_fnn_ms": 1e3 * median(calls["fnn"]),
                     "digit_torch_ms": 1e3 * median(calls["torch"]) if calls["torch"] else None,
                     "set_fnn_s": median(whole["fnn"]), "set_batch": min(batch, Xt.shape[1]),
                     "set_torch_s": median(whole["torch"]) if whole["torch"] else None}
        log(f"  {name} inference: {res[name]}")
    return res


def run_child(args, kind):
    """Run `python bench.py --child kind` (same --quick, --memory-steps) in a fresh process;
    -> run_measured's (wall seconds, peak RSS MiB, output, exit code)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind,
           "--memory-steps", str(args.memory_steps)] + (["--quick"] if args.quick else [])
    return run_measured(cmd)


# Runs a command and reports its peak memory. A child forked from this big process would report
# at least this process's size (Linux carries the parent's high-water mark over the fork and the
# exec into ru_maxrss), so a small launcher starts the command and reads os.wait4's rusage.
LAUNCHER = ("import os, subprocess, sys, time\n"
            "t = time.perf_counter()\n"
            "p = subprocess.Popen(sys.argv[1:])\n"
            "_, status, usage = os.wait4(p.pid, 0)\n"
            "print('\\n@@measured', os.waitstatus_to_exitcode(status), time.perf_counter() - t,"
            " usage.ru_maxrss, flush=True)\n")


def run_measured(cmd, cwd=None):
    """Run cmd; -> (wall seconds, peak resident set in MiB (ru_maxrss), output, exit code)."""
    with tempfile.TemporaryFile() as out:
        subprocess.run([sys.executable, "-c", LAUNCHER] + cmd, cwd=cwd, stdout=out,
                       stderr=subprocess.STDOUT)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    text, _, tail = text.rpartition("\n@@measured ")
    rc, wall, maxrss = tail.split()
    return float(wall), int(maxrss) / 1024, text, int(rc)          # Linux: ru_maxrss in KiB


def bench_memory(args, cfg, tm):
    """-> {kind: (peak RSS MiB, MiB training added or None)} for each fresh child process."""
    kinds = ["data", "fnn-mlp", "fnn-cnn"] + (["torch-mlp", "torch-cnn"] if tm else [])
    res = {}
    for kind in kinds:
        wall, rss, text, rc = run_child(args, kind)
        if rc != 0:
            raise RuntimeError(f"bench.py --child {kind} failed (exit {rc}):\n{text}")
        found = re.search(r"^@@training ([0-9.]+) ([0-9.]+)$", text, flags=re.M)
        if found:      # the child reset the kernel's peak, which ru_maxrss reads: add back loading's
            loading, added = float(found.group(1)), float(found.group(2))
            res[kind] = (max(rss, loading), added)
        else:
            res[kind] = (rss, None)
        log(f"  memory {kind}: {res[kind][0]:.0f} MiB peak RSS"
            + (f", training added {res[kind][1]:.0f} MiB" if found else "") + f" ({wall:.1f} s)")
    return res


def _proc_status_mib(field):
    """A memory field of /proc/self/status ("VmRSS", "VmHWM") in MiB, or None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024                  # the kernel writes kB
    except (OSError, ValueError):
        pass
    return None


def reset_peak_rss():
    """Reset this process's peak resident set (VmHWM) to its current one, as Linux >= 4.0 allows
    by writing 5 to /proc/self/clear_refs. -> the current resident set in MiB, or None."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return None
    return _proc_status_mib("VmRSS")


def child(kind, cfg, steps):
    """A fresh process for the memory figures: load MNIST, then train `steps` mini-batches.
    Around the training it resets the peak resident set and prints '@@training LOAD ADDED' in
    MiB: the peak before the reset (loading; ru_maxrss, which the launcher reads, then only sees
    the peak since the reset) and the peak during training minus the resident set just before it
    (what training itself added). Nothing is printed where Linux's counters are missing.
    PyTorch is imported before MNIST is loaded, so its libraries count as the process's
    starting point, not as training."""
    if kind.startswith("torch"):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import torch_models as tm
    X, y = load_csv(ROOT / "data" / "mnist_train.csv.gz", max_rows=cfg["n_train"])
    if kind == "data":
        return
    side, net = kind.split("-")
    layers, batch = (MLP, 128) if net == "mlp" else (CNN, 64)
    p0 = fnn.init_params(layers, seed=0)
    loading = _proc_status_mib("VmHWM")
    before = reset_peak_rss()
    if side == "fnn":
        for rec in fit(p0, X, y, layers, epochs=1, batch_size=batch, lr=LR, seed=0):
            if rec["iteration"] >= steps:
                break
    else:
        model, rng = tm.build(layers, p0), shuffle_stream(0)
        tm.train_epoch(model, tm.adam(model, LR), tm.as_rows(X), tm.torch.from_numpy(y),
                       minibatches(X.shape[1], batch, rng)[:steps])
    peak = _proc_status_mib("VmHWM")
    if None not in (loading, before, peak):
        print(f"@@training {loading:.1f} {peak - before:.1f}", flush=True)


def bench_train(args):
    """The default `python train.py`, its model written to a temp dir, timed from start to exit.
    The test accuracy and train.py's own total time are read from the saved model's metadata
    (train.py's save: meta "test_accuracy", a fraction, and "seconds")."""
    script = ROOT / "train.py"
    with tempfile.TemporaryDirectory() as tmp:
        train_args = [a.replace("{tmp}", tmp) for a in shlex.split(args.train_args)]
        cmd = [sys.executable, str(script)] + train_args
        log(f"  running {' '.join(cmd)}")
        wall, rss, text, rc = run_measured(cmd, cwd=ROOT)
        if rc != 0:
            return {"skipped": f"train.py exited with {rc}: {text.strip().splitlines()[-1:]}"}
        meta = saved_meta(train_args)
    acc = meta.get("test_accuracy")
    res = {"wall_s": wall, "rss_mib": rss, "acc": 100 * acc if acc is not None else None,
           "own_s": meta.get("seconds"),
           "cmd": "python train.py " + args.train_args.replace("{tmp}", "<tempdir>")}
    log(f"  train.py: {res}")
    return res


def saved_meta(train_args):
    """The metadata of the model that `python train.py *train_args`, run in ROOT, has written
    ({} when it cannot be read)."""
    targs = train.build_parser().parse_args(train_args)
    out = os.path.join(ROOT, targs.out) if targs.out else os.path.abspath(train.DEFAULT_OUT[targs.arch])
    try:
        return fnn.load(out)[2]
    except fnn.ModelFileError as e:
        log(f"  train.py's model: {e}")
        return {}


# ---- the machine -----------------------------------------------------------------------------

def load():
    return os.getloadavg()[0]


def cpu_snapshot():
    """(busy CPU seconds of the whole machine, CPU seconds of this process and its waited-for
    children) now. The difference between two snapshots is what OTHER processes used."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]
    busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")   # minus idle, iowait
    t = os.times()
    return busy, t.user + t.system + t.children_user + t.children_system


def others_share(a, b, wall):
    """Fraction of the machine's CPU capacity that other processes used between snapshots a, b."""
    return max(0.0, (b[0] - a[0]) - (b[1] - a[1])) / (wall * (os.cpu_count() or 1))


def _openblas():
    """(get_corename, get_num_threads, set_num_threads) of the OpenBLAS that NumPy loaded, or None."""
    try:
        path = next(l.split()[-1] for l in open("/proc/self/maps") if "openblas" in l.lower())
        lib = ctypes.CDLL(path)
    except (StopIteration, OSError):
        return None
    for prefix, suffix in (("scipy_openblas_", "64_"), ("scipy_openblas_", ""), ("openblas_", "")):
        try:
            fs = [getattr(lib, f"{prefix}{f}{suffix}") for f in ("get_corename", "get_num_threads",
                                                                   "set_num_threads")]
        except AttributeError:
            continue
        fs[0].restype = ctypes.c_char_p
        return fs
    return None


def openblas_runtime():
    """(core type, threads) that the OpenBLAS loaded by NumPy reports at run time, or None."""
    f = _openblas()
    return (f[0]().decode(), int(f[1]())) if f else None


def set_threads(blas, tm, torch_threads=None):
    """Set OpenBLAS's thread count (and torch's, to torch_threads or the same) at run time;
    -> the previous (blas, torch) counts, to restore them with set_threads(*before, ...)."""
    f = _openblas()
    if f is None:
        raise RuntimeError("cannot set the BLAS thread count: NumPy's OpenBLAS not found")
    before = (int(f[1]()), tm.torch.get_num_threads() if tm else None)
    f[2](blas)
    if tm:
        tm.torch.set_num_threads(torch_threads or blas)
    return before


def git_state():
    """The commit the figures belong to, and which measured files differ from it (if any)."""
    def git(*a):
        try:
            return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True,
                                  timeout=20).stdout
        except (OSError, subprocess.SubprocessError):
            return ""
    dirty = git("status", "--porcelain", "--", "fnn", "train.py", "benchmarks")
    return git("rev-parse", "--short", "HEAD").strip() or "unknown", [l[3:] for l in dirty.splitlines() if l]


def machine(tm):
    cpu = {}
    try:
        for line in open("/proc/cpuinfo"):
            k, _, v = line.partition(":")
            cpu.setdefault(k.strip(), v.strip())
    except OSError:
        pass
    flags = set(cpu.get("flags", "").split())
    shown = [f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl",
                         "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile") if f in flags]
    blas = {}
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception:                                   # older NumPy: no mode="dicts"
        pass
    info = {
        "cpu": cpu.get("model name", platform.processor() or "unknown"),
        "cores": os.cpu_count(), "usable": len(os.sched_getaffinity(0)),
        "flags": ", ".join(shown) or "n/a",
        "os": platform.platform(), "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": f"{blas.get('name', '?')} {blas.get('version', '')}".strip(),
        "blas_config": blas.get("openblas configuration", ""),
        "openblas_runtime": openblas_runtime(),
        "env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                           "MKL_NUM_THREADS") if k in os.environ},
        "torch": tm.info() if tm else None,
        "git": git_state(),
    }
    return info


# ---- the report ------------------------------------------------------------------------------

def fmt_range(xs, unit="", nd=2):
    if not xs:
        return "—"
    if len(xs) == 1:
        return f"{xs[0]:.{nd}f}{unit}"
    return f"{median(xs):.{nd}f}{unit} ({min(xs):.{nd}f}–{max(xs):.{nd}f})"


def cell(x, spec):
    return "—" if x is None else format(x, spec)


def verdict(ok):
    return "yes" if ok else "**no**"


def report(r, args, cfg, info, why_no_torch, started, loads, elapsed, snaps):
    tm = info["torch"] is not None
    L = []
    w = L.append
    w("# fnn benchmarks: fnn against PyTorch CPU and the classic full-batch loop")
    w("")
    if args.quick:
        w("**--quick run: a small slice of MNIST, one repeat. These figures only show that the "
          "script works; they are not the published ones.**")
        w("")
    w("Generated by `benchmarks/bench.py`; every figure below comes from the command")
    w("")
    w(f"    {args.command}")
    w("")
    w(f"run on {started:%Y-%m-%d %H:%M %Z} (took {elapsed / 60:.1f} min). "
      f"Load average (1 min) at the start {loads[0]:.2f}, at the end {loads[-1]:.2f}, "
      f"highest seen between sections {max(loads):.2f} (this benchmark itself adds up to 2). "
      "CPU time used by OTHER processes, as a share of the whole machine, per section: "
      + ", ".join(f"{k} {100 * v:.0f} %" for k, v in snaps.items()) + ".")
    w("")
    w("## Results")
    w("")
    w("Times are medians over every epoch of every repeat (range in brackets); fnn and PyTorch "
      "alternate epoch by epoch in one process, from the same initial weights, on the same "
      "batches. Accuracy is on the 10,000 test images"
      + (f" (here: the first {cfg['n_test']})" if cfg["n_test"] else "") + ", median over repeats.")
    w("")
    w("| benchmark | fnn | PyTorch | fnn / PyTorch | target | met |")
    w("|---|---|---|---|---|---|")
    for name, label, ratio_key in (
            ("mlp", "MLP 784-128-128-10, batch 128, Adam: s / epoch", "mlp_ratio"),
            ("cnn", "CNN conv16-pool-conv32-pool-128-10, batch 64, Adam: s / epoch", "cnn_ratio"),
            ("mlp1", "MLP, 1 thread each (as train.py runs): s / epoch", "mlp_ratio"),
            ("cnn1", "CNN, 1 thread each: s / epoch", "cnn_ratio")):
        if name not in r:
            continue
        m = r[name]
        if m.get("workers", 1) > 1:
            label += f" (fnn {m['workers']} workers = fit(workers=), PyTorch {m['workers']} threads)"
        epochs = cfg[f"{name[:3]}_epochs"]
        ratio = median(m["fnn_s"]) / median(m["torch_s"]) if m["torch_s"] else None
        target = TARGETS[ratio_key]
        w(f"| {label} | {fmt_range(m['fnn_s'])} | {fmt_range(m['torch_s'])} | "
          + (f"{ratio:.2f} | ≤ {target} | {verdict(ratio <= target)} |" if ratio else f"— | ≤ {target} | — |"))
        fa, ta = median(m["fnn_acc"]), median(m["torch_acc"]) if m["torch_acc"] else None
        diff = f"{fa - ta:+.2f} points" if ta is not None else "—"
        ok = verdict(abs(fa - ta) <= TARGETS["acc_points"]) if ta is not None else "—"
        short = {"mlp": "MLP", "cnn": "CNN", "mlp1": "MLP (1 thread)", "cnn1": "CNN (1 thread)"}[name]
        w(f"| {short} test accuracy after {epochs} epoch{'s' * (epochs > 1)} | "
          f"{fmt_range(m['fnn_acc'], ' %')} | {fmt_range(m['torch_acc'], ' %')} | {diff} | "
          f"within {TARGETS['acc_points']} points | {ok} |")
    if "inference" in r:
        for name, inf in r["inference"].items():
            d_f, d_t = inf["digit_fnn_ms"], inf["digit_torch_ms"]
            w(f"| one digit, {name.upper()} (mnistify + predict_proba, the draw.py path): ms | "
              f"{d_f:.3f} | {cell(d_t, '.3f')} | {cell(d_t and d_f / d_t, '.2f')} | fnn < 2 ms | "
              f"{verdict(d_f < TARGETS['one_digit_ms'])} |")
            s_f, s_t = inf["set_fnn_s"], inf["set_torch_s"]
            w(f"| whole test set ({cfg['n_test'] or 10000:,} images), {name.upper()}, batches of "
              f"{inf['set_batch']:,}: s | "
              f"{s_f:.3f} | {cell(s_t, '.3f')} | {cell(s_t and s_f / s_t, '.2f')} | | |")
    if "classic" in r:
        c = r["classic"]
        ratio = f"{median(c['fnn_s']) / median(c['torch_s']):.2f}" if c["torch_s"] else "—"
        w(f"| classic full-batch loop 784-10-10, GD lr 0.1, {cfg['classic_iters']} iterations on all "
          f"{cfg['n_train'] or 60000:,} images: s | {fmt_range(c['fnn_s'])} | {fmt_range(c['torch_s'])} "
          f"| {ratio} | | |")
        w(f"| classic full-batch loop: test accuracy | {fmt_range(c['fnn_acc'], ' %')} | "
          f"{fmt_range(c['torch_acc'], ' %')} | | | |")
    if "memory" in r:
        mem = r["memory"]
        for net in ("mlp", "cnn"):
            (f, f_add), (t, t_add) = mem[f"fnn-{net}"], mem.get(f"torch-{net}", (None, None))
            w(f"| peak memory, {net.upper()} training ({cfg['memory_steps']} steps, fresh process, "
              f"MNIST loaded): MiB | {f:.0f} | {f'{t:.0f}' if t else '—'} | "
              f"{f'{f / t:.2f}' if t else '—'} | | |")
            if f_add is not None:
                ratio = f"{f_add / t_add:.2f}" if t_add else "—"
                w(f"| of which training added (peak minus the resident set just before the "
                  f"first step): MiB | {f_add:.0f} | {f'{t_add:.0f}' if t_add is not None else '—'} "
                  f"| {ratio} | | |")
        w(f"| peak memory of a process that only imports fnn and loads MNIST: MiB | "
          f"{mem['data'][0]:.0f} | | | | |")
    if "train" in r:
        t = r["train"]
        if "skipped" in t:
            w(f"| default `python train.py` | skipped: {t['skipped']} | | | | |")
        else:
            acc = f", final test accuracy {t['acc']:.2f} %" if t["acc"] is not None else ""
            own = f" (train.py's own total: {t['own_s']:.1f} s)" if t["own_s"] is not None else ""
            w(f"| default `{t['cmd']}`: wall time of the process (start to saved model){acc}; "
              f"peak memory | {t['wall_s']:.1f} s{own}; {t['rss_mib']:.0f} MiB | | | | |")
    w("")
    if not tm:
        w(f"PyTorch: {why_no_torch}. The fnn figures above are still measured.")
        w("")
    w("## Headline")
    w("")
    for name, what in (("mlp", "MLP 784-128-128-10"), ("cnn", "CNN")):
        if name in r and r[name]["torch_s"]:
            m = r[name]
            w(f"- {what}: {median(m['fnn_s']):.2f} s per MNIST epoch in fnn, "
              f"{median(m['torch_s']):.2f} s in PyTorch (fnn / PyTorch = "
              f"{median(m['fnn_s']) / median(m['torch_s']):.2f}); test accuracy after "
              f"{cfg[name + '_epochs']} epoch{'s' * (cfg[name + '_epochs'] > 1)}: "
              f"{median(m['fnn_acc']):.2f} % against {median(m['torch_acc']):.2f} %.")
        elif name in r:
            m = r[name]
            w(f"- {what}: {median(m['fnn_s']):.2f} s per MNIST epoch in fnn; test accuracy "
              f"{median(m['fnn_acc']):.2f} %.")
    if "inference" in r and "mlp" in r["inference"]:
        w(f"- One drawn digit, preprocessing included (the draw.py path, MLP): "
          f"{r['inference']['mlp']['digit_fnn_ms']:.2f} ms in fnn.")
    if "mlp" in r and "classic" in r:
        m, c = r["mlp"], r["classic"]
        w(f"- Mini-batches and Adam: one epoch of the 784-128-128-10 MLP takes "
          f"{median(m['fnn_s']):.2f} s in fnn, and {cfg['mlp_epochs']} of them reach "
          f"{median(m['fnn_acc']):.2f} %; the classic full-batch loop of the derivation spends "
          f"{median(c['fnn_s']):.1f} s on {cfg['classic_iters']} iterations to reach "
          f"{median(c['fnn_acc']):.2f} %.")
    w("")
    w("## Method")
    w("")
    w("- Same network, batch size, optimizer (Adam, lr 1e-3, betas 0.9/0.999, eps 1e-8) and "
      "initial weights on both sides; float32 data and weights; the same mini-batches in the "
      "same order (both cut by `fnn.training.minibatches` from the seed stream `fit` uses), each "
      "side shuffling and gathering its own batches inside its timed epoch.")
    w("- fnn: `fnn.training.fit`, exactly what train.py runs (it also computes the loss and batch "
      "accuracy every step for its log); with no dropout, fit runs each relu that feeds a max-pool "
      "after the pool (`fnn.layers.pool_before_relu`, the same values and gradients bit for bit). "
      "PyTorch: `model.train()`, then per batch `zero_grad()`, "
      "`CrossEntropyLoss` on the logits, `backward()`, `step()` (benchmarks/torch_models.py), "
      "batches gathered by indexing one (m, 784) tensor.")
    w("- Before the timed repeats each side trains one untimed epoch on 256 images (PyTorch's "
      "lazy set-up, first BLAS calls). Both sides train from one example per row, set up inside "
      "the first timed epoch of each repeat: fnn.data.load_csv stores X (784, m) as the transpose "
      "of a C-contiguous (m, 784) array, so for both it is a view, not a copy.")
    w("- Peak memory is ru_maxrss, the largest resident set of the measured process, read with "
      "os.wait4 by a small launcher process (a child forked straight from the benchmark would "
      "inherit its high-water mark). It includes the Python interpreter, the imported libraries "
      "and the loaded data; PyTorch's own libraries are a few hundred MiB of it. \"Training "
      "added\" is measured inside the same process: after MNIST is loaded (and PyTorch imported) "
      "it notes its peak so far (VmHWM), resets the kernel's peak (writing 5 to "
      "/proc/self/clear_refs) and notes its resident set; after the last step it reports the new "
      "peak minus that resident set. The peak memory row is the larger of the two peaks. Memory "
      "the loader freed but the process kept is reused by either side without counting.")
    if args.threads:
        w(f"- Threads: this run gave OpenBLAS and PyTorch {args.threads} thread(s) each "
          f"(--threads {args.threads}); fnn itself never sets them. The default run leaves the "
          "threads as found and needs a quiet machine, since both sides then use both cores.")
    else:
        w("- Threads are left as found (see Machine): nothing in fnn sets them. The \"1 thread "
          "each\" rows set both OpenBLAS and PyTorch to one, and the CNN rows set OpenBLAS to one "
          "thread inside fnn's two workers (as train.py runs), PyTorch keeping its threads.")
    w("- One digit: the median of single calls on test images, preprocessing included; "
      "whole set: `fnn.predict` in its default batches (`fnn.network.predict_batch`: as many "
      "images as keep the largest array of a forward pass within 8 MiB) against the model in "
      "eval mode under `torch.no_grad()` in batches of the same size.")
    w("")
    w("## Raw timings (seconds, in the order measured)")
    w("")
    for name in ("mlp", "cnn", "mlp1", "cnn1", "classic"):
        if name in r:
            for side in ("fnn", "torch"):
                if r[name][f"{side}_s"]:
                    w(f"- {name} {side}: " + ", ".join(f"{x:.3f}" for x in r[name][f"{side}_s"])
                      + "; test accuracy per repeat: "
                      + ", ".join(f"{a:.2f} %" for a in r[name][f"{side}_acc"]))
    w("")
    w("## Machine")
    w("")
    w(f"- CPU: {info['cpu']}, {info['cores']} logical cores ({info['usable']} usable by this "
      f"process); flags: {info['flags']}")
    w(f"- OS: {info['os']}; Python {info['python']}")
    w(f"- NumPy {info['numpy']}, BLAS: {info['blas']} ({info['blas_config']})"
      + (f"; at run time OpenBLAS uses the {info['openblas_runtime'][0]} kernels and "
         f"{info['openblas_runtime'][1]} thread(s)" if info["openblas_runtime"] else ""))
    if info["torch"]:
        t = info["torch"]
        w(f"- PyTorch {t['version']} (CPU): torch.get_num_threads() = {t['threads']}, "
          f"interop threads {t['interop_threads']}, CPU capability {t['capability']}, "
          f"oneDNN {'available' if t['mkldnn'] else 'not available'}")
    else:
        w(f"- PyTorch: {why_no_torch}")
    w(f"- Thread variables set: {info['env'] or 'none'}")
    commit, dirty = info["git"]
    w(f"- Code: commit {commit}" + (f", with uncommitted changes in {', '.join(dirty)}" if dirty
                                    else ", no uncommitted changes in fnn/, train.py, benchmarks/"))
    w("")
    return "\n".join(L)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="a small slice, one repeat, no train.py run: a few seconds; "
                         "prints the report instead of writing docs/benchmarks.md")
    ap.add_argument("--no-torch", action="store_true", help="run fnn alone even if torch is installed")
    ap.add_argument("--sections", default=",".join(SECTIONS),
                    help=f"comma-separated subset of {','.join(SECTIONS)} (default: all)")
    ap.add_argument("--repeats", type=int, help="repeats of the mlp and cnn runs (default 3)")
    ap.add_argument("--threads", type=int,
                    help="give OpenBLAS and torch this many threads each for the whole run "
                         "(default: leave both as found). On a machine where other work runs, "
                         "--threads 1 keeps both sides off the busy core.")
    ap.add_argument("--out", help="where to write the report (default docs/benchmarks.md; "
                                  "with --quick: stdout). '-' for stdout.")
    ap.add_argument("--train-args", default="--out {tmp}/model.npz",
                    help="arguments for the train.py run; {tmp} is a temporary directory "
                         "(default: %(default)s)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--memory-steps", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL)
    if args.repeats:
        cfg["repeats"] = args.repeats
    if args.memory_steps:
        cfg["memory_steps"] = args.memory_steps
    args.memory_steps = cfg["memory_steps"]
    if args.child:
        child(args.child, cfg, cfg["memory_steps"])
        return 0
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    bad = [s for s in sections if s not in SECTIONS]
    if bad:
        ap.error(f"unknown section(s) {', '.join(bad)}; choose from {', '.join(SECTIONS)}")
    if args.quick and "train" in sections and "--sections" not in " ".join(argv or sys.argv):
        sections.remove("train")                       # minutes, not seconds
    out = args.out if args.out else ("-" if args.quick else str(ROOT / "docs" / "benchmarks.md"))
    args.command = shlex.join(["python", "benchmarks/bench.py"]
                              + list(argv if argv is not None else sys.argv[1:]))

    tm, why = load_torch(args.no_torch)
    if args.threads:
        set_threads(args.threads, tm)
        if "threads1" in sections and args.threads == 1:
            sections.remove("threads1")              # every row already runs on one thread
    started = datetime.datetime.now().astimezone()
    t_start = time.perf_counter()
    loads = [load()]
    snaps = {}                     # section -> share of the CPU that other processes used
    info = machine(tm)
    if args.threads:                                 # the same for the child processes
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    log(f"fnn benchmark: sections {', '.join(sections)}; PyTorch: "
        f"{info['torch']['version'] if tm else why}; load {loads[0]:.2f}")
    log("loading MNIST ...")
    X, y = load_csv(ROOT / "data" / "mnist_train.csv.gz", max_rows=cfg["n_train"])
    Xt, yt = load_csv(ROOT / "data" / "mnist_test.csv.gz", max_rows=cfg["n_test"])
    data = (X, y, Xt, yt)
    r = {}

    def section(name, f):
        a, t0 = cpu_snapshot(), time.perf_counter()
        log(f"[{name}]")
        out = f()
        snaps[name] = others_share(a, cpu_snapshot(), time.perf_counter() - t0)
        loads.append(load())
        log(f"  other processes used {100 * snaps[name]:.0f} % of the CPU during {name}")
        return out

    for s in ("mlp", "cnn", "classic"):
        if s in sections:
            f = {"mlp": bench_mlp, "cnn": bench_cnn, "classic": bench_classic}[s]
            r[s] = section(s, lambda: f(data, cfg, tm))
    if "threads1" in sections:           # train.py pins BLAS to one thread: the same, both sides
        log("(threads1: mlp and cnn again, OpenBLAS and torch on 1 thread each)")
        before = set_threads(1, tm)
        try:
            r["mlp1"] = section("mlp1", lambda: bench_mlp(data, cfg, tm))
            r["cnn1"] = section("cnn1", lambda: bench_cnn(data, cfg, tm))
        finally:
            set_threads(before[0], tm, before[1])
    if "inference" in sections:
        r["inference"] = section("inference", lambda: bench_inference(
            data, cfg, tm, {k: r[k] for k in ("mlp", "cnn") if k in r}))
    if "memory" in sections:
        r["memory"] = section("memory", lambda: bench_memory(args, cfg, tm))
    if "train" in sections:
        r["train"] = section("train", lambda: bench_train(args))
    text = report(r, args, cfg, info, why, started, loads, time.perf_counter() - t_start, snaps)
    if out == "-":
        print(text)
    else:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(out).with_suffix(".md.tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        os.replace(tmp, out)
        log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
