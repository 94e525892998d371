"""benchmarks/bench.py --quick, the fnn-only path: runs in seconds, and without torch.

CI does not install torch, and fnn must never need it. Here torch is hidden even where it is
installed (a `torch` package that refuses to import comes first on PYTHONPATH), so the test
exercises the real "torch is missing" path: the script must say so and still measure fnn.
"""
import importlib.util
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

import fnn
import fnn.training
from conftest import ROOT

HIDE_TORCH = "raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n"


def run_quick(tmp_path, *extra):
    fake = tmp_path / "site" / "torch"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(HIDE_TORCH)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "site"), str(ROOT)]))
    out = tmp_path / "bench.md"
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick",
                        "--sections", "mlp,cnn,classic,inference,memory", "--out", str(out), *extra],
                       env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return out.read_text(encoding="utf-8"), p.stderr


def row(text, start):
    """The cells of the table row whose first cell starts with `start`."""
    line = next(l for l in text.splitlines() if l.startswith("| " + start))
    return [c.strip() for c in line.strip("|").split("|")]


def test_quick_run_without_torch_measures_fnn_and_says_torch_is_missing(tmp_path):
    text, log = run_quick(tmp_path)
    assert "PyTorch: not installed" in text and "PyTorch: not installed" in log
    assert "--quick run" in text and "python benchmarks/bench.py --quick" in text

    mlp = row(text, "MLP 784-128-128-10")
    assert float(mlp[1]) > 0 and mlp[2] == "—" and mlp[3] == "—"       # fnn timed, no torch column
    acc = row(text, "MLP test accuracy after 1 epoch")
    assert 50 < float(acc[1].rstrip(" %")) <= 100                     # 2,000 images, one epoch: ~70 %
    assert float(row(text, "CNN test accuracy")[1].rstrip(" %")) > 20
    digit = row(text, "one digit, MLP")
    assert float(digit[1]) > 0 and digit[-1] in ("yes", "**no**")
    classic = row(text, "classic full-batch loop: test accuracy")
    assert float(classic[1].rstrip(" %")) > 10

    # Memory: each training child's peak, and what training added on top of the loaded data.
    loaded = float(row(text, "peak memory of a process that only imports fnn")[1])
    lines = text.splitlines()
    for net in ("MLP", "CNN"):
        i = next(i for i, l in enumerate(lines) if l.startswith(f"| peak memory, {net} training"))
        peak = float(row(lines[i], "peak memory")[1])
        added = row(lines[i + 1], "of which training added")
        assert 0.95 * loaded <= peak and 0 < float(added[1]) < peak and added[2] == "—"

    # The machine section names what the figures depend on.
    for needle in ("CPU:", "logical cores", "NumPy", "BLAS:", "Load average"):
        assert needle in text
    assert re.search(r"run on \d{4}-\d\d-\d\d", text)


def test_unknown_section_is_a_usage_error():
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick",
                        "--sections", "mlp,gpu"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "unknown section(s) gpu" in p.stderr


def _import_bench():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


@pytest.mark.parametrize("seed", [0, 7])
def test_torch_side_gets_the_batches_fit_draws(monkeypatch, seed):
    """bench.py takes fit's shuffling stream (shuffle_stream: the first of seed_streams) to give
    PyTorch the same mini-batches. Run fit through bench.fnn_epochs with fnn.training.minibatches recording what
    it returns, and bench.torch_epochs with a stand-in for torch_models recording the batches it
    is handed: equal, epoch by epoch. Fails if fit ever derives its streams differently."""
    bench = _import_bench()
    real = fnn.training.minibatches
    fit_batches, torch_batches = [], []

    def recording(n, batch_size, rng):
        out = real(n, batch_size, rng)
        fit_batches.append(out)
        return out

    monkeypatch.setattr(fnn.training, "minibatches", recording)
    tm = SimpleNamespace(build=lambda layers, params: None, adam=lambda model, lr: None,
                         as_rows=lambda X: X, torch=SimpleNamespace(from_numpy=lambda a: a),
                         train_epoch=lambda model, opt, X, y, batches: torch_batches.append(batches))
    rng = np.random.default_rng(1)
    X, y = rng.random((6, 50), dtype=np.float32), rng.integers(0, 3, 50)
    params = fnn.init_params([6, 5, 3], seed=0)
    fnn_epoch = bench.fnn_epochs(params, X, y, [6, 5, 3], 16, seed, epochs=2)
    torch_epoch = bench.torch_epochs(tm, params, X, y, [6, 5, 3], 16, seed)
    for _ in range(2):
        fnn_epoch()
        torch_epoch()
    assert len(fit_batches) == len(torch_batches) == 2
    for f, t in zip(fit_batches, torch_batches):
        assert [b.tolist() for b in f] == [b.tolist() for b in t]
    assert fit_batches[0][0].tolist() != fit_batches[1][0].tolist()     # a new order each epoch


def test_train_section_reads_the_saved_model_metadata(tmp_path, monkeypatch):
    """bench_train takes the accuracy and train.py's own time from the model file train.py
    wrote (found as train.py finds it: --out, else its default), not from its printed log."""
    bench = _import_bench()
    path = tmp_path / "m.npz"
    fnn.save(path, fnn.init_params([784, 8, 10], seed=0),
             meta={"test_accuracy": 0.9876, "seconds": 12.3})
    meta = bench.saved_meta(["--out", str(path), "--epochs", "1"])
    assert meta["test_accuracy"] == 0.9876 and meta["seconds"] == 12.3
    assert bench.saved_meta(["--out", str(tmp_path / "missing.npz")]) == {}
    default = tmp_path / "default.npz"                   # no --out: train.py's default file
    fnn.save(default, fnn.init_params([784, 8, 10], seed=1), meta={"seconds": 4.5})
    monkeypatch.setitem(bench.train.DEFAULT_OUT, "mlp", str(default))
    assert bench.saved_meta([]) == {"seconds": 4.5}


def test_reset_peak_rss_forgets_an_earlier_peak_and_sees_a_new_one():
    """The memory children's "training added" figure rests on these two helpers."""
    bench = _import_bench()
    big = np.ones(96 * 2**20, dtype=np.uint8)          # a 96 MiB peak, then given back
    del big
    now = bench.reset_peak_rss()
    if now is None:
        pytest.skip("this kernel has no /proc/self/clear_refs")
    assert bench._proc_status_mib("VmHWM") < now + 32     # the old peak is forgotten
    new = np.ones(64 * 2**20, dtype=np.uint8)          # 64 MiB, touched
    assert bench._proc_status_mib("VmHWM") >= now + 60
    del new
