#!/usr/bin/env python
"""Write a CSV of synthetic digits in the styles MNIST lacks, to mix into training.

    python benchmarks/style_digits.py --n 12000 --seed 1 --out models/style_digits.csv

Every digit gets shapes drawn here from random parameters (not the sketches of
benchmarks/sketches.py, which are what the benchmarks score): the continental 1 (a long flag
from 30-65 % of the way down, 25-50 % of the height wide, no base), the European 7 (crossbar,
a tick at the top), the slashed 0 (slanted, the slash running past the oval), the 6 with an
open loop, the hooked 9 (small head, tail curling back left), and plain versions of every
digit beside them so that no style stands for a digit alone. A training writer (its own seed
and ranges, wider than the benchmark's: 7-24 cells high, slant +-0.4, rotation +-12 degrees,
width x0.65-1.35, wobble 0.03, brush radius 0.9-2.4 cells, at most 0.3 + 0.12 x the height) draws each one with the pad's brush
(fnnapp.views.canvas.draw_strokes) and mnistify makes it an MNIST row: label + 784 pixels 0..255,
under the shipped files' header.
train.py reads it with --train FILE:K.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np            # noqa: E402

from sketches import arc, join, line, slant, writer    # noqa: E402
from fnn.digits.preprocess import mnistify             # noqa: E402
from fnn.digits.teach import HEADER                    # noqa: E402  (label,1x1,...,28x28)
from fnn.io import files                                # noqa: E402
from fnnapp.views.canvas import draw_strokes           # noqa: E402


def zero(u, c):
    rx = u(0.2, 0.33)
    oval = arc(0.5, 0.5, rx, 0.47, -90 - u(0, 20), 270 + u(0, 30))
    if c(0.5):
        return [oval]
    slash = line((0.5 + rx + u(-0.05, 0.15), u(-0.15, 0.15)), (0.5 - rx - u(-0.05, 0.15), u(0.85, 1.15)))
    return slant([oval, slash], u(0.0, 0.35))


def one(u, c):
    s = u(0.5, 0.65)
    stem_bottom = (s + u(-0.08, 0.04), 1.0)
    if c(0.65):                                            # continental: long flag, no base
        return [line((s - u(0.25, 0.5), u(0.3, 0.65)), (s, u(0.0, 0.04)), stem_bottom)]
    strokes = [line((s - u(0.1, 0.25), u(0.1, 0.25)), (s, 0.0), stem_bottom)]
    if c(0.4):
        strokes.append(line((s - u(0.15, 0.3), 1.0), (s + u(0.15, 0.3), 1.0)))
    return strokes


def two(u, c):
    rx = u(0.24, 0.32)
    return [join(arc(0.5, 0.28, rx, 0.27, u(170, 200), 360 + u(20, 50)),
                 line((u(0.15, 0.28), u(0.92, 1.0)), (u(0.72, 0.9), u(0.94, 1.0))))]


def three(u, c):
    top = arc(0.48, 0.26, u(0.2, 0.3), 0.25, u(190, 230), 450)
    bottom = arc(0.48, 0.74, u(0.24, 0.33), 0.26, -90, u(130, 170))
    return [join(top, bottom)] if c(0.5) else [top, bottom]


def four(u, c):
    s = u(0.6, 0.72)
    if c(0.5):
        return [line((u(0.3, 0.45), 0.0), (0.18, 0.62), (0.88, 0.62)), line((s, u(0.2, 0.4)), (s, 1.0))]
    return [line((s, 0.0), (0.15, 0.64), (0.9, 0.64)), line((s, 0.0), (s + u(-0.04, 0.04), 1.0))]


def five(u, c):
    belly = join(line((0.32, 0.02), (0.28, u(0.36, 0.45))), arc(0.48, 0.68, u(0.27, 0.33), 0.3,
                                                                u(-140, -120), u(140, 170)))
    return [belly, line((0.32, 0.02), (u(0.72, 0.85), u(0.0, 0.06)))]


def six(u, c):
    r = u(0.2, 0.27)
    stem = arc(0.82, 0.62, 0.56, 0.62, 250, 180)
    if c(0.5):                                             # open: the loop stops short of the stem
        return [join(stem, arc(0.5, 1.0 - r, r, r, 180, u(-110, -40)))]
    return [join(stem, arc(0.5, 1.0 - r, r, r, 180, 540))]


def seven(u, c):
    x = u(0.3, 0.5)
    top = [line((0.18, u(0.1, 0.2)), (0.2, 0.02))] if c(0.4) else []
    strokes = [join(*top, line((0.2, 0.02), (u(0.78, 0.88), 0.02), (x, 1.0)))]
    if c(0.55):                                            # European crossbar
        ym = u(0.42, 0.6)
        xm = 0.83 + (x - 0.83) * ym
        strokes.append(line((xm - u(0.15, 0.3), ym), (xm + u(0.1, 0.25), ym)))
    return strokes


def eight(u, c):
    return [arc(0.5, 0.25, u(0.17, 0.24), 0.24, 0, 360), arc(0.5, 0.74, u(0.24, 0.3), 0.26, -90, 270)]


def nine(u, c):
    hooked = c(0.6)                                        # small head, tail curls back left
    hr = u(0.13, 0.22) if hooked else u(0.15, 0.28)
    head = arc(0.5, hr + 0.02, hr * u(0.9, 1.2), hr, 0, -360)
    x = 0.5 + hr * 1.1
    if hooked:
        end, tr = u(0.6, 0.78), u(0.18, 0.3)
        return [join(head, line((x, hr), (x - 0.02, end)), arc(x - tr, end, tr, u(0.18, 0.26), 0, u(150, 235)))]
    return [join(head, line((x, hr), (x + u(-0.2, 0.02), 1.0)))]


SHAPES = [zero, one, two, three, four, five, six, seven, eight, nine]


def style_digits(n, seed):
    """n synthetic digits, labels cycling 0..9 -> (X (784, n) float32 mnistify'd, y (n,))."""
    rng = np.random.default_rng(seed)
    u = lambda a, b: rng.uniform(a, b)
    c = lambda p: rng.uniform() < p
    cols, y = [], np.arange(n) % 10
    for d in y:
        strokes = writer(SHAPES[d](u, c), rng, height=(7.0, 24.0), slant=(-0.4, 0.4),
                         rotate=(-12.0, 12.0), width=(0.65, 1.35), wobble=0.03)
        height = np.ptp(np.concatenate(strokes)[:, 1])     # a fat brush on a small digit is a blob
        canvas = draw_strokes(np.zeros((28, 28), np.float32), strokes, min(u(0.9, 2.4), 0.3 + 0.12 * height),
                              adapt=False)
        cols.append(mnistify(canvas))
    return np.stack(cols, axis=1), y


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=12000, help="digits to write (labels cycle 0..9)")
    p.add_argument("--seed", type=int, default=1, help="seed of the shapes and writers")
    p.add_argument("--out", default="models/style_digits.csv", help="CSV to write")
    args = p.parse_args(argv)
    try:
        out = files.check_one(args.out, "digits", "--out")
    except files.WriteError as e:
        print(f"style_digits.py: {e}", file=sys.stderr)
        return 2
    X, y = style_digits(args.n, args.seed)
    rows = np.column_stack([y, np.rint(X.T * 255)]).astype(np.int64)
    text = HEADER + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n"
    files.write(out, lambda f: f.write(text.encode()), suffix=".csv")
    print(f"wrote {args.n} digits to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
