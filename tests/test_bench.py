"""benchmarks/bench.py --quick without torch: runs in seconds, measures fnn, says torch is missing.

CI does not install torch, and fnn must never need it. Here torch is hidden even where it is
installed (a `torch` package that refuses to import comes first on PYTHONPATH), so the test
takes the real "torch is missing" path.
"""
import importlib.util
import json
import os
import sys
from types import SimpleNamespace

import numpy as np
import pytest

import fnn
import fnn.training
from conftest import ROOT, Early

HIDE_TORCH = "raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n"


def _import(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def queue_early(d):
    """bench.py --quick with torch hidden, run in the background from the start of the session
    (conftest.Early): its results go to d."""
    fake = d / "site" / "torch"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(HIDE_TORCH)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(d / "site"), str(ROOT)]))
    bench = [sys.executable, ROOT / "benchmarks" / "bench.py"]
    return {"out": d, "quick": Early.command([*bench, "--quick", "--out", d], env=env),
            "unknown section": Early.command([*bench, "--quick", "--sections", "mlp,gpu"])}


def test_quick_run_without_torch_measures_fnn_and_says_torch_is_missing(early):
    p, out = early["quick"].result(timeout=120), early["out"]
    assert p.returncode == 0, p.stderr
    assert "PyTorch: not installed" in p.stderr
    res = json.loads((out / "benchmarks.json").read_text(encoding="utf-8"))
    text = (out / "benchmarks.md").read_text(encoding="utf-8")
    assert res["quick"] and res["machine"]["torch"] is None and "not installed" in res["torch_missing"]
    assert "PyTorch not installed" in text and "--quick" in text

    threads1 = importlib.util.find_spec("threadpoolctl") is not None
    assert set(res["runs"]) == {"mlp", "cnn"} | ({"mlp1", "cnn1"} if threads1 else set())
    for name, run in res["runs"].items():
        assert len(run["fnn_s"]) == 1 and run["fnn_s"][0] > 0 and run["torch_s"] == []
    assert 50 < res["runs"]["mlp"]["fnn_acc"][0] <= 100       # 2,000 images, one epoch: ~70 %
    assert 20 < res["runs"]["cnn"]["fnn_acc"][0] <= 100       # 512 images, one epoch: ~65 %
    assert set(res["inference"]) == {"mlp", "cnn", "shipped"}     # shipped: draw.py's default
    for name in ("mlp", "cnn", "shipped"):
        inf = res["inference"][name]
        assert inf["digit_fnn_ms"] > 0 and inf["set_fnn_s"] > 0 and "digit_torch_ms" not in inf
    for key in ("cpu", "blas", "numpy", "python"):
        assert res["machine"][key]

    assert text == _import("bench").report(res)              # the report is the results, written out
    block = _import("readme_results").render(res)
    assert "(PyTorch not run)" in block and "--quick" in block


def test_the_benchmarked_cnn_is_the_one_train_py_trains():
    from fnnapp.cli import networks
    assert _import("bench").CNN == networks.NAMED["cnn"]


def test_unknown_section_is_a_usage_error(early):
    p = early["unknown section"].result()
    assert p.returncode == 2 and "unknown section(s) gpu" in p.stderr


@pytest.mark.parametrize("seed", [0, 7])
def test_torch_side_gets_the_batches_fit_draws(monkeypatch, seed):
    """bench.py takes fit's shuffling stream (shuffle_stream: the first of seed_streams) to give
    PyTorch the same mini-batches. Run fit through bench.fnn_epochs with fnn.training.minibatches
    recording what it returns, and bench.torch_epochs with a stand-in for torch_models recording
    the batches it is handed: equal, epoch by epoch. Fails if fit ever derives its streams
    differently."""
    bench = _import("bench")
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
