"""The README's Python examples run as written, and the front door shows what the brief says."""
import os
import re
import subprocess
import sys

from conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_readme_python_examples_run(tmp_path):
    """Every ```python block, in order, as one script in a fresh folder that sees data/."""
    code = "\n".join(re.findall(r"```python\n(.*?)```", README, flags=re.S))
    assert "fnn.forward" in code and "fnn.backward" in code and "fnn.update" in code
    (tmp_path / "data").symlink_to(ROOT / "data")
    (tmp_path / "example.py").write_text(code)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    test_acc = float(re.search(r"test accuracy ([0-9.]+)", run.stdout).group(1))
    assert test_acc >= 0.92, run.stdout          # the README says "about 0.94"
    assert (tmp_path / "my_cnn.npz").exists()


def test_readme_front_door():
    assert "pip install -r requirements.txt" in README
    assert "python -m pytest" in README
    assert "python draw.py" in README and "python train.py" in README
    for path in re.findall(r"\]\(((?:docs|data)/[^)#]+)", README):
        assert (ROOT / path).exists(), f"README links to missing {path}"


def _table(text):
    """The rows of every markdown table in text, in order, each a list of its cells."""
    return [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in text.splitlines() if line.startswith("| ") and not line.startswith("|---")]


def _cell(rows, start, i, after=None):
    """Cell i of the one row whose first cell starts with `start` (the first such row below the
    row starting with `after`, when given)."""
    if after is not None:
        rows = rows[next(n for n, r in enumerate(rows) if r[0].startswith(after)) + 1:]
        return next(r for r in rows if r[0].startswith(start))[i]
    [row] = [r for r in rows if r[0].startswith(start)]
    return row[i]


def _num(text):
    return float(re.match(r"[-+]?[0-9.]+", text.replace("*", "").replace("`", "").strip()).group())


def test_readme_figures_are_the_ones_their_commands_wrote():
    """Each figure in the README's Results table equals its source: docs/benchmarks.md (written by
    benchmarks/bench.py), docs/robustness.md (benchmarks/robustness.py) or the shipped model's
    metadata (written by train.py). Rerunning a command without updating the README fails here."""
    import fnn

    readme = _table(README)
    bench = _table((ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8"))
    robust = _table((ROOT / "docs" / "robustness.md").read_text(encoding="utf-8"))

    def shows(start, *figures):
        row = " | ".join(_cell(readme, start, i) for i in range(3))
        for figure in figures:
            assert figure in row, f"README row {start!r} should show {figure!r}: {row}"

    mlp = [_num(_cell(bench, "MLP 784-128-128-10, batch 128", i)) for i in (1, 2)]
    cnn = [_num(_cell(bench, "CNN conv16-pool-conv32-pool-128-10", i)) for i in (1, 2)]
    shows("one MLP epoch", f"{mlp[0]:.2f} s vs {mlp[1]:.2f} s: "
          f"{_cell(bench, 'MLP 784-128-128-10, batch 128', 3)}×",
          f"one thread each: {_cell(bench, 'MLP, 1 thread each', 3)}×")
    shows("one CNN epoch", f"{cnn[0]:.1f} s vs {cnn[1]:.1f} s: "
          f"{_cell(bench, 'CNN conv16-pool-conv32-pool-128-10', 3)}×",
          f"one thread each: {_cell(bench, 'CNN, 1 thread each', 3)}×")
    acc = {net: [_num(_cell(bench, f"{net} test accuracy after", i)) for i in (1, 2)]
           for net in ("MLP", "CNN")}
    shows("equal accuracy", *(f"{net} {a:.2f} vs {b:.2f} %" for net, (a, b) in acc.items()))
    shows("one drawn digit, CNN", f"{_num(_cell(bench, 'one digit, CNN', 1)):.2f} ms")
    shows("the MLP's wall time",
          f"{_num(_cell(bench, 'default `python train.py', 1)):.1f} s")
    mlp_peak = "peak memory, MLP training (200 steps"
    shows("peak memory of 200 MLP training steps",
          f"{_num(_cell(bench, mlp_peak, 1)):.0f} vs {_num(_cell(bench, mlp_peak, 2)):.0f} MiB",
          f"training itself added {_num(_cell(bench, 'of which training added', 1, mlp_peak)):.0f} "
          f"vs {_num(_cell(bench, 'of which training added', 2, mlp_peak)):.0f} MiB",
          f"loading MNIST alone peaks at {_num(_cell(bench, 'peak memory of a process that only', 1)):.0f} MiB")

    mlp_meta, cnn_meta = (fnn.load(ROOT / "data" / f)[2] for f in ("mnist_mlp.npz", "mnist_cnn.npz"))
    shows("MLP 784-256-128-10, test accuracy", f"**{100 * mlp_meta['test_accuracy']:.2f} %**")
    shows("CNN conv16-pool-conv32-pool-128-10, test accuracy",
          f"**{100 * cnn_meta['test_accuracy']:.2f} %**")
    shows("the CNN's wall time", f"{cnn_meta['seconds']:.0f} s",
          f"`seconds`: {cnn_meta['seconds']:.1f}")
    intro = " ".join(README.split())
    assert (f"**{100 * mlp_meta['test_accuracy']:.2f} %** with an MLP" in intro
            and f"to **{100 * cnn_meta['test_accuracy']:.2f} %** with a CNN" in intro)

    raw, drawn = (_num(x) for x in _cell(robust, "`data/mnist_cnn.npz`", 9).split("/"))
    shows("digits drawn the way people draw", f"{drawn:.1f} % mean (raw: {raw:.1f} %)")
    original = _num(_cell(robust, "`data/mnist_cnn.npz`", 1).split("/")[0])
    shifted_raw, shifted = (_num(x) for x in _cell(robust, "`data/mnist_cnn.npz`", 2).split("/"))
    assert (f"drops the CNN from {original:.1f} % to {shifted_raw:.1f} %; with it, {shifted:.1f} %"
            in intro)
