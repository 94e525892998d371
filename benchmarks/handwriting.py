#!/usr/bin/env python3
"""Teach a shipped model one person's handwriting, measured: the README's walkthrough, run.

    python benchmarks/handwriting.py                      # data/mnist_cnn.npz, writes under runs/
    python benchmarks/handwriting.py --model data/mnist_mlp.npz

Nobody can draw by hand in a script, so the digits come from stroke sketches in one consistent
"handwriting style" (a crossed 7, a flagged 1 with a foot, a looped 2, a flat-topped 3, an open
4, stacked-circle 8s, ...), each one jittered (slant, size, position, wobble) and painted with
the pad's own brush (draw.py's paint, BRUSH_RADIUS), then put through mnistify exactly as the
pad does before the network sees a drawing. The rows are the handwriting CSV the pad's K key
writes (fnn.digits.teach.append_digit).

Steps, each the command a user would type:
1. `mine.csv`: 3 digits of each class (30), the set you teach; `held_out.csv`: 20 of each
   class (200) drawn in the same style with other jitter, the set you measure on.
2. `python draw.py --model MODEL --digits held_out.csv`        accuracy before
3. `python train.py --init MODEL --train data/mnist_train.csv.gz --train mine.csv:20 ...`
4. `python draw.py --model tuned.npz --digits held_out.csv`     accuracy after, and on MNIST's
   test set (train.py's own report).
Prints the commands and a summary table; writes nothing outside --workdir.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import fnn                                         # noqa: E402
from bench import machine                          # noqa: E402  (benchmarks/bench.py)
from fnn.io.data import load_csv                      # noqa: E402
from fnn.digits.preprocess import mnistify                # noqa: E402  (what the pad feeds the network)
from fnn.digits.teach import HEADER, digit_row            # noqa: E402
from fnnapp.views.canvas import draw_strokes                 # noqa: E402  (the pad's brush)


def _arc(cx, cy, rx, ry, a0, a1, k=14):
    a = np.deg2rad(np.linspace(a0, a1, k))
    return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], axis=1)


def _curve(p0, p1, p2, k=10):
    """A quadratic Bezier from p0 to p2, pulled towards p1."""
    t = np.linspace(0, 1, k)[:, None]
    return (1 - t) ** 2 * np.array(p0) + 2 * t * (1 - t) * np.array(p1) + t ** 2 * np.array(p2)


def _line(*pts):
    return np.array(pts, dtype=np.float64)


# One person's way of writing each digit: polylines of (x, y) in canvas cells (0..28, y down),
# drawn large, the way people fill the pad. Angles in degrees, clockwise on screen. This writer
# slashes the zero, writes 2 as a Z, 4 as an open hook, 9 with a hooked tail, crosses the 7.
STYLE = {
    0: [_arc(14, 14, 5.5, 8.5, -80, 290, 24), _line((19, 6), (9, 22))],          # slashed zero
    1: [_line((9, 10), (15, 4), (15, 23)), _line((10, 23), (20, 23))],            # flag and foot
    2: [_line((9, 6), (19, 6), (9, 22), (20, 22))],                              # a Z
    3: [_line((9, 5), (19, 5), (13, 12)), _arc(13.5, 17, 5.5, 5.8, -80, 150, 14)],  # flat top
    4: [np.concatenate([_line((9, 5), (9, 11)), _arc(13.5, 11, 4.5, 4, 180, 90, 8),
                        _line((18, 15), (18, 5))]), _line((18, 15), (18, 24))],    # open hook
    5: [np.concatenate([_arc(14, 8.5, 4.5, 3.5, -20, -180, 10), _arc(14, 16.5, 4.5, 4.5, -90, 150, 14)])],
                                                                                # an S-like 5
    6: [np.concatenate([_line((20, 4), (13, 5)), _curve((13, 5), (9, 9), (9.5, 18)),
                        _arc(14.5, 18, 5, 5, 180, 540, 22)])],                    # a б-like 6
    7: [np.concatenate([_line((8, 6), (20, 6)), _curve((20, 6), (14, 13), (14, 24))]),
        _line((11.5, 15), (19, 15))],                                           # crossed, curved
    8: [_arc(14, 9, 4, 4, 0, 360, 18), _arc(14, 18.5, 5.2, 5.2, 0, 360, 20)],       # snowman 8
    9: [np.concatenate([_arc(14, 9.5, 4.5, 4.5, 0, 360, 18), _line((18.5, 9.5), (18.5, 20)),
                        _arc(15, 20, 3.5, 3.5, 0, 150, 8)])],                     # hooked tail
}


def jitter(strokes, rng):
    """The same sketch as a person writes it twice: slant and rotation, size, aspect, position,
    and a small wobble at every point (all in cells)."""
    angle = np.deg2rad(rng.normal(0, 6))
    shear = rng.normal(0.35, 0.08)                                    # this writer slants right
    scale = rng.uniform(0.8, 1.1) * np.array([rng.uniform(0.85, 1.15), 1.0])
    c, s = np.cos(angle), np.sin(angle)
    M = np.array([[c, -s], [s, c]]) @ np.array([[1, -shear], [0, 1]]) * scale
    shift = rng.uniform(-3, 3, 2)
    return [(p - 14) @ M.T + 14 + shift + rng.normal(0, 0.25, p.shape) for p in strokes]


def drawn_set(per_digit, rng):
    """(X (784, 10 per_digit), y): each digit drawn with the pad's brush, then mnistify'd."""
    cols, labels = [], []
    for d in range(10):
        for _ in range(per_digit):
            canvas = draw_strokes(np.zeros((28, 28), np.float32), jitter(STYLE[d], rng))
            cols.append(mnistify(canvas).reshape(-1))
            labels.append(d)
    return np.stack(cols, axis=1), np.array(labels)


def write_csv(path, X, y):
    with open(path, "w") as f:
        f.write("\n".join([HEADER] + [digit_row(X[:, j], y[j]) for j in range(y.size)]) + "\n")


def sh(args):
    """Run a repo command, echoing it; -> stdout (exit on failure)."""
    print("$ " + " ".join(shlex.quote(str(a)) for a in args), flush=True)
    r = subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                       env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def accuracy_line(stdout):
    """'held_out.csv: 171/200 correct (85.5%) by ...' -> (171, 200)."""
    k, n = re.search(r": (\d+)/(\d+) correct", stdout).groups()
    return int(k), int(n)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=os.path.join("data", "mnist_cnn.npz"))
    p.add_argument("--workdir", default=os.path.join("runs", "handwriting"))
    p.add_argument("--repeat", type=int, default=20, help="K of --train mine.csv:K")
    p.add_argument("--max-rows", type=int, default=10000, help="MNIST rows to fine-tune with")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--lr", default="2e-4")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    os.makedirs(os.path.join(ROOT, args.workdir), exist_ok=True)
    mine, held = (os.path.join(args.workdir, n) for n in ("mine.csv", "held_out.csv"))
    tuned = os.path.join(args.workdir, "tuned.npz")
    rng_mine, rng_held = (np.random.default_rng(s) for s in np.random.SeedSequence(args.seed).spawn(2))
    write_csv(os.path.join(ROOT, mine), *drawn_set(3, rng_mine))
    write_csv(os.path.join(ROOT, held), *drawn_set(20, rng_held))

    before = sh(["draw.py", "--model", args.model, "--digits", held])
    before_mine = sh(["draw.py", "--model", args.model, "--digits", mine])
    log = sh(["train.py", "--init", args.model, "--train", os.path.join("data", "mnist_train.csv.gz"),
              "--train", f"{mine}:{args.repeat}", "--max-rows", args.max_rows, "--epochs", args.epochs,
              "--lr", args.lr, "--seed", args.seed, "--log-every", 0, "--out", tuned])
    after = sh(["draw.py", "--model", tuned, "--digits", held])
    mnist_after = float(re.search(r"test accuracy ([\d.]+)%", log).group(1))
    params, layers, _ = fnn.load(os.path.join(ROOT, args.model))
    X_test, y_test = load_csv(os.path.join(ROOT, "data", "mnist_test.csv.gz"), max_rows=args.max_rows)
    mnist_before = 100 * fnn.accuracy(params, X_test, y_test, layers)     # the rows train.py tests on
    print(before, after, sep="\n")
    (kb, n), (ka, _), (km, nm) = accuracy_line(before), accuracy_line(after), accuracy_line(before_mine)
    m = machine(None)
    print(f"machine: {m['cpu']}; BLAS {m['blas']}; numpy {m['numpy']}")
    print(f"| model | held-out set in this style ({n}) | MNIST test ({args.max_rows} rows) |\n|---|---|---|\n"
          f"| {args.model} | {kb}/{n} = {100 * kb / n:.1f}% | {mnist_before:.2f}% |\n"
          f"| fine-tuned with --train mine.csv:{args.repeat} ({nm} digits, {nm - round(0.1 * nm)} "
          f"after the 10% validation split) | {ka}/{n} = {100 * ka / n:.1f}% | {mnist_after:.2f}% |\n"
          f"(the {nm} taught digits themselves, before: {km}/{nm})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
