"""The README's Results block, regenerated from the files the figures' commands wrote.

    python benchmarks/readme_results.py      # rewrites the block between the results markers

Sources: docs/benchmarks.json (written by benchmarks/bench.py, which also calls this script
after a run that writes docs/) and the metadata that train.py stores in the shipped models
data/mnist_mlp.npz and data/mnist_cnn.npz. tests/test_readme.py checks that the block in the
README is what `render` makes of them.
"""
import json
import sys
from statistics import median
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import fnn                                      # noqa: E402

BEGIN = "<!-- results:begin: written by benchmarks/readme_results.py, do not edit by hand -->"
END = "<!-- results:end -->"


def _median(xs):
    return median(xs) if xs else None


def _vs(f, t, fmt, unit):
    """'0.61 s vs 0.81 s: 0.75×', or fnn's figure alone when PyTorch was not run."""
    if t is None:
        return f"{f:{fmt}} {unit} (PyTorch not run)"
    return f"{f:{fmt}} {unit} vs {t:{fmt}} {unit}: {f / t:.2f}×"


def model_rows(root):
    rows = []
    for kind, file in (("MLP", "data/mnist_mlp.npz"), ("CNN", "data/mnist_cnn.npz")):
        meta = fnn.load(root / file)[2]
        took = f" in {meta['seconds']:.0f} s" if "seconds" in meta else ""
        rows.append(f"| {kind} {meta.get('network', '')}, test accuracy (10,000 MNIST test images) "
                    f"| **{100 * meta['test_accuracy']:.2f} %**, trained{took} (train.py's total, "
                    f"data loading included, on the machine of [What is promised](#what-is-promised)) | `{meta.get('command', 'python train.py')}` → "
                    f"`{file}` |")
    return rows


def bench_rows(res):
    runs, inf, rows = res["runs"], res["inference"], []
    cmd = "`python benchmarks/bench.py` → [docs/benchmarks.md](docs/benchmarks.md)"
    what = {"mlp": "one MLP epoch (784-128-128-10, batch 128, Adam), fnn vs PyTorch CPU",
            "cnn": "one CNN epoch (train.py's CNN, batch 64, Adam), fnn vs PyTorch CPU"}
    for name in ("mlp", "cnn"):
        if name in runs:
            r = runs[name]
            figure = _vs(_median(r["fnn_s"]), _median(r["torch_s"]), ".2f", "s")
            if runs.get(name + "1", {}).get("torch_s"):
                r1 = runs[name + "1"]
                figure += f" (one thread each: {_median(r1['fnn_s']) / _median(r1['torch_s']):.2f}×)"
            workers = f", fnn {r['workers']} workers" if r["workers"] > 1 else ""
            rows.append(f"| {what[name]}{workers} | {figure} | {cmd} |")
    accs = [f"{name.upper()} {_median(r['fnn_acc']):.2f}"
            + (f" vs {_median(r['torch_acc']):.2f}" if r["torch_acc"] else "")
            + f" % after {r['epochs']} epoch{'s' * (r['epochs'] > 1)}"
            for name, r in runs.items() if name in ("mlp", "cnn")]
    if accs:
        rows.append(f"| test accuracy after the same epochs, fnn vs PyTorch | {', '.join(accs)} "
                    f"| same |")
    for name, r in inf.items():
        what = "draw.py's default model" if name == "shipped" else name.upper()
        rows.append(f"| one drawn digit, {what} (the pad's preprocessing + forward), fnn vs "
                    f"PyTorch | {_vs(r['digit_fnn_ms'], r.get('digit_torch_ms'), '.2f', 'ms')} "
                    f"| same |")
    return rows


def render(res=None, root=ROOT):
    """The block, markers included, from bench.py's results `res` (default: docs/benchmarks.json)
    and the shipped models."""
    if res is None:
        res = json.loads((root / "docs" / "benchmarks.json").read_text(encoding="utf-8"))
    m = res["machine"]
    quick = " **(a --quick run: not the published figures)**" if res["quick"] else ""
    return "\n".join(
        [BEGIN, "| what | figure | command |", "|---|---|---|", *model_rows(root), *bench_rows(res),
         "", f"Benchmarks run on {res['date']} at commit {res['commit']}{quick}: {m['cpu']}; "
             f"BLAS {m['blas']}; NumPy {m['numpy']}; PyTorch {m['torch'] or 'not run'}.", END])


def current(text):
    """The block as it stands in the README text (markers included), or None."""
    start, end = text.find("<!-- results:begin"), text.find(END)
    return None if start < 0 or end < start else text[start:end + len(END)]


def main(argv=None):
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    old = current(text)
    if old is None:
        print(f"{readme}: no results block (<!-- results:begin ... {END}) to update", file=sys.stderr)
        return 2
    readme.write_text(text.replace(old, render()), encoding="utf-8")
    print(f"updated the Results block of {readme}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
