#!/usr/bin/env python
"""Which model copes best with how people draw? Accuracy on perturbed MNIST test digits.

    python benchmarks/robustness.py data/mnist_mlp.npz data/mnist_cnn.npz [more.npz ...]

People do not draw like MNIST: their digits are off-centre, small or large, slanted, and
drawn with a thicker or thinner pen. This builds those versions of the 10,000 MNIST test
digits (NumPy only, fnn.augment, seeded), feeds each to every model twice -- RAW, and through
the draw path (fnn.preprocess.mnistify, what draw.py and draw.py --image do) -- and writes a
table of accuracies to docs/robustness.md (--out), with this exact command and the model
with the best mean accuracy through the draw path: draw.py's default. (The time of one drawn
digit's prediction is measured by benchmarks/bench.py only.)

Perturbations (each digit gets its own random draw; about the image centre, bilinear):
    original     the test digits as they are
    shifted      moved 4 px left/right and 4 px up/down (random signs): drawn off-centre
    half size    scaled by U(0.45, 0.55): drawn small
    enlarged     scaled by U(1.2, 1.3): drawn large, touching the edges
    rotated      rotated by +-15 degrees (random sign)
    thick pen    3x3 max filter (every stroke 2 px wider)
    thin pen     0.5 x (3x3 min filter) + 0.5 x original (strokes thinner and fainter)
    as drawn     all at once, milder: shift U(-3, 3) px, scale U(0.5, 1.2), rotate U(-15, 15),
                 pen U(-0.5, 1) (thinner .. thicker)
"""
import argparse
import os
import shlex
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np           # noqa: E402

import draw                  # noqa: E402
import fnn                   # noqa: E402
from fnn.augment import affine, stroke   # noqa: E402
from fnn.data import DataError, load_csv  # noqa: E402
from fnn.model_io import atomic_write     # noqa: E402
from fnn.preprocess import mnistify       # noqa: E402


def perturbations(X, seed=0):
    """X (784, m) -> {name: (784, m) float32}, the perturbed test sets described above."""
    rng = np.random.default_rng(seed)
    m = X.shape[1]

    def sign():
        return rng.choice([-1.0, 1.0], size=m)

    out = {"original": X}
    out["shifted"] = affine(X, 0.0, 1.0, 4 * sign(), 4 * sign())
    out["half size"] = affine(X, 0.0, rng.uniform(0.45, 0.55, m), 0.0, 0.0)
    out["enlarged"] = affine(X, 0.0, rng.uniform(1.2, 1.3, m), 0.0, 0.0)
    out["rotated"] = affine(X, 15.0 * sign(), 1.0, 0.0, 0.0)
    out["thick pen"] = stroke(X, 1.0)
    out["thin pen"] = stroke(X, -0.5)
    drawn = affine(X, rng.uniform(-15, 15, m), rng.uniform(0.5, 1.2, m),
                   rng.uniform(-3, 3, m), rng.uniform(-3, 3, m))
    out["as drawn"] = stroke(drawn, rng.uniform(-0.5, 1.0, m))
    return out


def mnistify_batch(X):
    """The draw path for a batch: mnistify every column (the pad does one at a time)."""
    return np.stack([mnistify(X[:, j].reshape(28, 28)) for j in range(X.shape[1])], axis=1)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models", nargs="+", help="model files (fnn.save / train.py)")
    p.add_argument("--test", default="data/mnist_test.csv.gz", help="MNIST test CSV")
    p.add_argument("--max-rows", type=int, default=None, help="use only the first N test digits")
    p.add_argument("--seed", type=int, default=0, help="seed of the perturbations")
    p.add_argument("--out", default="docs/robustness.md", help="markdown report to write")
    args = p.parse_args(argv)
    command = "python benchmarks/robustness.py " + " ".join(shlex.quote(a) for a in
                                                           (argv if argv is not None else sys.argv[1:]))
    try:
        models = {path: fnn.load(path) for path in args.models}
        X, y = load_csv(args.test, max_rows=args.max_rows)
    except (fnn.ModelFileError, DataError) as e:
        print(f"robustness.py: {e}", file=sys.stderr)
        return 2
    if y is None:
        print(f"robustness.py: {args.test}: has no label column", file=sys.stderr)
        return 2

    t0 = time.perf_counter()
    sets = perturbations(X, args.seed)
    prepped = {name: mnistify_batch(Xp) for name, Xp in sets.items()}
    print(f"built {len(sets)} test sets of {y.size} digits and mnistify'd them in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)

    acc = {}
    for path, (params, layers, _) in models.items():
        t1 = time.perf_counter()
        for name in sets:
            acc[path, name, "raw"] = fnn.accuracy(params, sets[name], y, layers)
            acc[path, name, "mnistify"] = fnn.accuracy(params, prepped[name], y, layers)
        print(f"{path}: done in {time.perf_counter() - t1:.1f} s", flush=True)

    names = list(sets)
    mean = {(pth, how): float(np.mean([acc[pth, n, how] for n in names]))
            for pth in models for how in ("raw", "mnistify")}
    best = max(models, key=lambda pth: mean[pth, "mnistify"])
    default = os.path.join(draw.HERE, draw.DEFAULT_MODEL)     # what draw.py loads without --model
    is_default = os.path.realpath(best) == os.path.realpath(default)

    def pct(v):
        return f"{100 * v:.1f}"

    lines = [
        "# Robustness: accuracy on MNIST test digits drawn the way people draw",
        "",
        "Generated by `benchmarks/robustness.py` (do not edit by hand; rerun it). Command:",
        "",
        "```",
        command,
        "```",
        "",
        f"{y.size} test digits from `{args.test}`, perturbation seed {args.seed}. Each cell is the "
        "accuracy in % fed **raw** / **through the draw path** (`fnn.preprocess.mnistify`: crop to "
        "the ink, longer side to 20 px, centre of mass to the centre -- what `draw.py` and "
        "`draw.py --image` do). See the module docstring for the exact perturbations: shifted "
        "= 4 px off-centre on both axes, half size = scale 0.45-0.55, enlarged = scale 1.2-1.3, "
        "rotated = +-15 degrees, thick pen = 3x3 max filter, thin pen = half a 3x3 min filter, "
        "as drawn = all of them at once, milder and random.",
        "",
        "| model | " + " | ".join(names) + " | mean |",
        "|---" * (len(names) + 2) + "|",
    ]
    for pth in models:
        cells = [f"{pct(acc[pth, n, 'raw'])} / **{pct(acc[pth, n, 'mnistify'])}**" for n in names]
        lines.append(f"| `{pth}` | " + " | ".join(cells)
                     + f" | {pct(mean[pth, 'raw'])} / **{pct(mean[pth, 'mnistify'])}** |")
    lines += [
        "",
        f"**Best through the draw path (mean over the columns): `{best}`** "
        f"({pct(mean[best, 'mnistify'])} %). `draw.py`'s `DEFAULT_MODEL` "
        f"(`{draw.DEFAULT_MODEL}`) {'is' if is_default else 'is not'} this model.",
        "",
        "## How each model was made",
        "",
    ]
    for pth, (_, layers, meta) in models.items():
        cmd = meta.get("command") if isinstance(meta, dict) else None
        kinds = " ".join(s["type"] for s in layers[1:])
        test_acc = meta.get("test_accuracy") if isinstance(meta, dict) else None
        lines.append(f"- `{pth}`: {kinds}"
                     + (f"; trained by `{cmd}`" if cmd else "; no training command recorded")
                     + (f"; test accuracy {pct(test_acc)} %" if isinstance(test_acc, float) else ""))
    lines += ["", "Files under `models/` are not shipped (git-ignored): the command above each one "
              "retrains it (train.py is seeded)."]
    text = "\n".join(lines) + "\n"

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    atomic_write(args.out, lambda f: f.write(text.encode()), suffix=".md")
    print(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
