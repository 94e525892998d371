"""Digits as other people write them: stroke sketches in several styles per digit.

A sketch is a list of strokes, each a (k, 2) polyline of (x, y) in a unit box (x right, y
down, the digit filling about [0.2, 0.8] x [0, 1]), in the order a hand draws them. STYLES
maps each digit to its styles (a 1 with a flag and a base, an open and a closed 4, a 7 with
a crossbar, a 9 with a straight or a curved stem, a looped or plain 2 ...), written here from
how people write, not from any dataset. NEW_STYLES are the ones MNIST lacks (issue 24): the
continental 1 (long flag from halfway down, no base), the European 7 (crossbar, a tick at the
top), the slashed 0, the 6 whose loop stays open and the hooked 9 (small head, a tail curling
back left under it like a g). These are SCORED only: the digits mixed into training are drawn
by benchmarks/style_digits.py from its own parametric shapes and writers.

`writer(strokes, rng, ...)` gives one writer's version of a sketch: a smooth wobble of every
stroke (jitter), slant, rotation, width, size and position on the 28x28 pad, all random,
-> strokes in pad cells, ready for fnnapp.views.canvas.draw_strokes (the pad's brush) or for xdotool
(benchmarks/xdraw.py). No loops over pixels; the loops are over strokes and digits.
"""
import numpy as np


def arc(cx, cy, rx, ry, a0, a1, k=24):
    """Points of an elliptic arc from angle a0 to a1 degrees (0 = right, 90 = down)."""
    a = np.deg2rad(np.linspace(a0, a1, k))
    return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], axis=1)


def line(*pts):
    """A polyline through the given (x, y) points."""
    return np.array(pts, dtype=np.float64)


def slant(strokes, h):
    """Strokes slanted like italics: x += h (0.5 - y), about the box's middle row."""
    return [np.stack([s[:, 0] + h * (0.5 - s[:, 1]), s[:, 1]], axis=1) for s in strokes]


def join(*parts):
    """One stroke made of consecutive pieces (arcs and lines)."""
    return np.concatenate(parts, axis=0)


STYLES = {
    0: {"oval": [arc(0.5, 0.5, 0.28, 0.48, -90, 270)],
        "overlapping oval": [arc(0.5, 0.5, 0.27, 0.47, -100, 290)],
        "narrow": [arc(0.5, 0.5, 0.18, 0.48, -80, 280)],
        "slashed": slant([arc(0.5, 0.5, 0.3, 0.46, -80, 290), line((0.8, -0.1), (0.2, 1.1))], 0.2)},
    1: {"plain": [line((0.52, 0.0), (0.48, 1.0))],
        "flag": [line((0.3, 0.25), (0.55, 0.0), (0.5, 1.0))],
        "flag and base": [line((0.3, 0.22), (0.55, 0.0), (0.55, 1.0)), line((0.3, 1.0), (0.8, 1.0))],
        "european": [line((0.14, 0.5), (0.62, 0.0), (0.6, 1.0))]},
    2: {"plain": [join(arc(0.5, 0.28, 0.28, 0.28, 190, 360), arc(0.5, 0.28, 0.28, 0.28, 0, 40),
                       line((0.2, 1.0), (0.82, 1.0)))],
        "looped": [join(arc(0.5, 0.28, 0.28, 0.28, 190, 400), line((0.22, 0.88)),
                        arc(0.3, 0.9, 0.1, 0.1, 270, 90), line((0.82, 0.98)))],
        "z-like": [line((0.22, 0.05), (0.78, 0.05), (0.2, 1.0), (0.82, 1.0))]},
    3: {"round": [arc(0.48, 0.26, 0.26, 0.25, 200, 450), arc(0.48, 0.74, 0.3, 0.26, -90, 160)],
        "one stroke": [join(arc(0.48, 0.26, 0.26, 0.25, 200, 450), arc(0.48, 0.74, 0.3, 0.26, -90, 160))],
        "flat top": [join(line((0.22, 0.02), (0.76, 0.02), (0.42, 0.42)),
                          arc(0.46, 0.7, 0.3, 0.28, -80, 160))]},
    4: {"open": [line((0.42, 0.0), (0.2, 0.62), (0.86, 0.62)), line((0.66, 0.25), (0.66, 1.0))],
        "closed": [line((0.7, 0.0), (0.18, 0.64), (0.88, 0.64)), line((0.7, 0.0), (0.7, 1.0))],
        "one stroke": [line((0.38, 0.0), (0.2, 0.6), (0.84, 0.6)), line((0.68, 0.1), (0.66, 1.0))]},
    5: {"hook and bar": [join(line((0.32, 0.02), (0.28, 0.42)), arc(0.48, 0.68, 0.3, 0.3, -130, 150)),
                         line((0.32, 0.02), (0.8, 0.02))],
        "one stroke": [join(line((0.8, 0.02), (0.32, 0.02), (0.28, 0.44)),
                            arc(0.48, 0.68, 0.3, 0.3, -130, 150))],
        "round belly": [join(line((0.34, 0.02), (0.3, 0.38)), arc(0.5, 0.66, 0.32, 0.33, -120, 170)),
                        line((0.34, 0.02), (0.76, 0.04))]},
    6: {"curved stem": [join(arc(0.8, 0.62, 0.55, 0.62, 250, 180), arc(0.5, 0.72, 0.25, 0.27, 180, 540))],
        "straight stem": [join(line((0.7, 0.0), (0.27, 0.7)), arc(0.5, 0.74, 0.24, 0.25, 170, 530))],
        "small loop": [join(arc(0.85, 0.6, 0.6, 0.6, 245, 180), arc(0.45, 0.8, 0.2, 0.19, 180, 540))],
        "open loop": [join(arc(0.8, 0.62, 0.55, 0.62, 250, 180), arc(0.5, 0.74, 0.25, 0.25, 180, -70))]},
    7: {"plain": [line((0.2, 0.02), (0.8, 0.02), (0.38, 1.0))],
        "crossbar": [line((0.2, 0.02), (0.8, 0.02), (0.4, 1.0)), line((0.35, 0.5), (0.75, 0.5))],
        "curved stem": [join(line((0.2, 0.04), (0.8, 0.02)), arc(0.1, 0.05, 0.7, 0.95, 0, 90))],
        "european": [line((0.16, 0.14), (0.22, 0.02), (0.84, 0.02), (0.42, 1.0)),
                     line((0.3, 0.52), (0.8, 0.5))]},
    8: {"two loops": [arc(0.5, 0.25, 0.22, 0.24, 0, 360), arc(0.5, 0.74, 0.28, 0.26, -90, 270)],
        "one stroke": [join(arc(0.5, 0.25, 0.23, 0.25, 20, -200), arc(0.5, 0.74, 0.28, 0.26, 270, -90 + 1),
                            line((0.72, 0.12)))],
        "snowman": [arc(0.5, 0.22, 0.18, 0.22, 0, 360), arc(0.5, 0.72, 0.3, 0.28, -90, 270)]},
    9: {"straight stem": [join(arc(0.5, 0.28, 0.27, 0.27, 0, -360), line((0.77, 0.28), (0.75, 1.0)))],
        "curved stem": [join(arc(0.48, 0.28, 0.27, 0.27, 0, -360), line((0.75, 0.28), (0.72, 0.75)),
                             arc(0.5, 0.75, 0.22, 0.24, 0, 130))],
        "slanted stem": [join(arc(0.55, 0.27, 0.27, 0.26, 10, -350), line((0.8, 0.3), (0.45, 1.0)))],
        "hooked": [join(arc(0.54, 0.18, 0.17, 0.18, 0, -360), line((0.71, 0.18), (0.69, 0.72)),
                        arc(0.45, 0.72, 0.24, 0.26, 0, 200))]},
}


NEW_STYLES = [(0, "slashed"), (1, "european"), (6, "open loop"), (7, "european"), (9, "hooked")]


def resample(stroke, step=0.02):
    """The polyline re-sampled at arc-length spacing `step` (unit-box units): (k, 2) -> (n, 2)."""
    seg = np.hypot(*np.diff(stroke, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(2, int(np.ceil(s[-1] / step)) + 1)
    t = np.linspace(0.0, s[-1], n)
    return np.stack([np.interp(t, s, stroke[:, 0]), np.interp(t, s, stroke[:, 1])], axis=1)


def writer(strokes, rng, height=(14.0, 22.0), slant=(-0.3, 0.3), rotate=(-8.0, 8.0),
           width=(0.75, 1.25), wobble=0.025, pad=28):
    """One writer's version of a sketch, in pad cells: a list of (n, 2) arrays of (x, y).

    Each stroke is re-sampled, then wobbled by a smooth offset (two sinusoids per axis of
    random phase, amplitude `wobble` x height, wavelength about half the digit); then the
    whole digit is slanted x -= h (y - 0.5), h ~ U(slant); rotated by U(rotate) degrees; its
    width scaled by U(width); scaled to a height ~ U(height) cells and placed at a random
    position that keeps it on the pad with a 1.5-cell margin.
    """
    pts = []
    for s in strokes:
        p = resample(np.asarray(s, dtype=np.float64))
        arc_len = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(p, axis=0).T))])
        for axis in range(2):
            f = rng.uniform(1.0, 3.0, size=2) * 2 * np.pi
            ph = rng.uniform(0, 2 * np.pi, size=2)
            p[:, axis] += wobble * np.sin(arc_len[:, None] * f + ph).sum(axis=1) / 2
        pts.append(p)
    h = rng.uniform(*slant)
    ang = np.deg2rad(rng.uniform(*rotate))
    wx = rng.uniform(*width)
    R = np.array([[np.cos(ang), np.sin(ang)], [-np.sin(ang), np.cos(ang)]])
    out = []
    for p in pts:
        q = p - 0.5
        q[:, 0] = (q[:, 0] - h * q[:, 1]) * wx
        out.append(q @ R.T)
    allp = np.concatenate(out)
    H = rng.uniform(*height)
    scale = H / max(np.ptp(allp[:, 1]), 1e-6)
    allp = allp * scale
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    margin = 1.5
    room = np.maximum(pad - 2 * margin - (hi - lo), 0.0)
    origin = margin - lo + rng.uniform(0, 1, size=2) * room
    return [p * scale + origin for p in out]


def all_styles():
    """[(digit, style name, strokes)] over every digit and style."""
    return [(d, name, strokes) for d in sorted(STYLES) for name, strokes in STYLES[d].items()]
