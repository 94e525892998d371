#!/usr/bin/env python
"""Phone photos of digits on paper, built here, against the same digits scanned clean.

    python benchmarks/photos.py data/mnist_cnn.npz [more.npz ...] [--per-style 2] [--keep DIR]

Every digit is written twice at phone-photo resolution (300-1000 px a side): once as a clean
scan (dark ink on evenly white paper, PNG) and once as a photo of paper (JPEG): tinted
paper, vignetting (darker corners), light from one side, a shadow edge across the page (7 in
10), ruled lines (6 in 10, tilted up to 2 degrees, and a margin line 3 in 10), blue or black
ink, sensor noise and JPEG blocks (pygame.image.save). The digits are the stroke sketches of
benchmarks/sketches.py (every style, `--per-style` writers of seed 100, drawn with a round
pen 5-11 % of the digit's height wide) and the handwriting fonts of benchmarks/robustness.py
(every digit of every font, one random rotation of -6..6 whole degrees): no published digit set.

Each file is read the way `python draw.py --image FILE` reads it (fnnapp.views.inputs.read_image:
fnn.digits.photo.photo_to_ink; then even_out_strokes and the model), and also through the
previous reading (fnn.digits.preprocess.to_ink alone), per digit. A picture found blank is a
miss. benchmarks/robustness.py writes these figures into docs/robustness.md; run alone, this
prints them (and --keep DIR leaves the pictures to look at).
"""
import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np           # noqa: E402
import pygame                # noqa: E402
import pygame.freetype       # noqa: E402

import sketches              # noqa: E402
import robustness           # noqa: E402  (font_files, per_digit; imported as a module: it imports this one)
from fnn.digits.preprocess import even_out_strokes, to_ink          # noqa: E402
from fnnapp.views import inputs                                      # noqa: E402
from fnnapp.views.canvas import is_empty                             # noqa: E402
from fnnapp.views.teaching import analyse                            # noqa: E402


def pen_ink(strokes, H, W, height, centre, width):
    """Strokes (any units) scaled to `height` px around `centre` (y, x), drawn with a round pen
    `width` px wide on an (H, W) field -> (H, W) float32 ink in [0, 1]."""
    pts = [sketches.resample(np.asarray(s, float), 0.01) for s in strokes]
    allp = np.concatenate(pts)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    scale = height / max(hi[1] - lo[1], 1e-6)
    mid = (lo + hi) / 2
    surf = pygame.Surface((W, H))
    for p in pts:
        q = (p - mid) * scale + (centre[1], centre[0])
        for x, y in q:                                   # a dab every ~1 % of the stroke
            pygame.draw.circle(surf, (255, 255, 255), (float(x), float(y)), width / 2)
    return pygame.surfarray.array_red(surf).T.astype(np.float32) / 255


def font_ink(font, digit, H, W, height, centre, angle):
    """A font's digit rendered about `height` px high at `centre` on an (H, W) field."""
    font.size = height * 1.35
    surf, _ = font.render(str(digit), fgcolor=(255, 255, 255), bgcolor=(0, 0, 0), rotation=angle)
    g = pygame.surfarray.array_red(surf).T.astype(np.float32) / 255
    out = np.zeros((H, W), np.float32)
    top = int(np.clip(centre[0] - g.shape[0] / 2, 0, max(H - g.shape[0], 0)))
    left = int(np.clip(centre[1] - g.shape[1] / 2, 0, max(W - g.shape[1], 0)))
    g = g[:H - top, :W - left]
    out[top:top + g.shape[0], left:left + g.shape[1]] = g
    return out


def photograph(ink, rng):
    """(H, W) ink -> (H, W, 3) uint8 RGB: the ink on paper under a phone's light (module docstring)."""
    H, W = ink.shape
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    yn, xn = 2 * yy / H - 1, 2 * xx / W - 1
    paper = rng.uniform(0.78, 0.95) * rng.uniform(0.95, 1.03, 3)
    light = 1 - rng.uniform(0.25, 0.55) * (xn ** 2 + yn ** 2) / 2            # vignetting
    phi = rng.uniform(0, 2 * np.pi)
    light = light * (1 + rng.uniform(0.15, 0.35) * (np.cos(phi) * xn + np.sin(phi) * yn))
    if rng.uniform() < 0.7:                                                 # a shadow edge
        psi = rng.uniform(0, 2 * np.pi)
        d = (np.cos(psi) * (xx - rng.uniform(0.1, 0.9) * W) + np.sin(psi) * (yy - rng.uniform(0.1, 0.9) * H))
        light = light * (1 - rng.uniform(0.3, 0.55) / (1 + np.exp(-d / rng.uniform(2, 20))))
    lines = np.zeros((H, W), np.float32)
    if rng.uniform() < 0.6:                                                 # ruled paper
        gap, tilt, t = rng.uniform(0.05, 0.09) * H, np.tan(np.deg2rad(rng.uniform(-2, 2))), rng.uniform(1, 2.5)
        r = np.mod(yy - tilt * xx - rng.uniform(0, gap), gap)
        lines = np.clip(t / 2 + 0.5 - np.minimum(r, gap - r), 0, 1) * rng.uniform(0.5, 0.8)
    rgb = paper[None, None] * (1 - lines[..., None] * np.array([0.45, 0.3, 0.05]))
    if rng.uniform() < 0.3:                                                 # a red margin
        mx = rng.uniform(0.08, 0.18) * W
        m = np.clip(1.5 - np.abs(xx - mx), 0, 1)[..., None] * 0.6
        rgb = rgb * (1 - m * np.array([0.05, 0.5, 0.5]))
    colour = np.array([0.08, 0.1, 0.3]) if rng.uniform() < 0.5 else np.array([0.1, 0.1, 0.1])
    colour = colour * rng.uniform(0.6, 1.6)
    rgb = rgb * (1 - ink[..., None]) + colour * ink[..., None]
    rgb = rgb * light[..., None] + rng.normal(0, rng.uniform(0.01, 0.035), (H, W, 3))
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def scan(ink):
    """(H, W) ink -> (H, W, 3) uint8: black ink on evenly lit white paper."""
    return np.repeat((255 * (1 - 0.92 * ink)).astype(np.uint8)[..., None], 3, axis=2)


def save(rgb, path):
    pygame.image.save(pygame.surfarray.make_surface(rgb.transpose(1, 0, 2)), path)


def digits(rng, per_style):
    """[(digit, source name, ink (H, W))]: every sketch style by `per_style` writers and every
    font's digits, each at its own photo size, digit height and place."""
    out = []

    def frame():
        H = int(rng.uniform(300, 1000))
        W = int(np.clip(H * rng.uniform(0.75, 1.33), 300, 1000))
        h = rng.uniform(0.25, 0.6) * min(H, W)
        c = (H / 2 + rng.uniform(-0.12, 0.12) * H, W / 2 + rng.uniform(-0.12, 0.12) * W)
        return H, W, h, c

    for d, name, strokes in sketches.all_styles():
        for _ in range(per_style):
            H, W, h, c = frame()
            s = sketches.writer(strokes, rng)
            out.append((d, f"sketch {d} {name}", pen_ink(s, H, W, h, c, rng.uniform(0.05, 0.11) * h)))
    pygame.freetype.init()
    for path in robustness.font_files():
        font = pygame.freetype.Font(path, 48)
        for d in range(10):
            H, W, h, c = frame()
            ink = font_ink(font, d, H, W, h, c, int(rng.integers(-6, 7)))
            if ink.max() > 0.5:
                out.append((d, f"font {os.path.basename(path)}", ink))
    return out


def read_old(path):
    """The previous reading of --image: to_ink of the whole picture (border median = paper)."""
    surf = pygame.image.load(path)
    return to_ink(pygame.surfarray.array3d(surf).transpose(1, 0, 2))


def predict(model, ink):
    """draw.py --image's steps after the ink: blank -> -1, else the model's digit."""
    if is_empty(ink):
        return -1
    return int(analyse(model, even_out_strokes(ink))["probs"].argmax())


def photo_sets(seed=100, per_style=2, keep=None):
    """Build the digits, photograph and scan each, save every picture (PNG / JPEG) and read
    it back both ways. -> y (n,), sources (n,), {"photo" | "clean scan": [(new ink, old ink)]}.
    keep: a folder to leave the pictures in (default: a temporary one)."""
    rng = np.random.default_rng(seed)
    items = digits(rng, per_style)
    kinds = {"photo": [], "clean scan": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = keep or tmp
        os.makedirs(folder, exist_ok=True)
        for i, (d, _, ink) in enumerate(items):
            for kind, rgb, ext in (("photo", photograph(ink, rng), "jpg"), ("clean scan", scan(ink), "png")):
                path = os.path.join(folder, f"{i:04d}_{d}_{kind.split()[0]}.{ext}")
                save(rgb, path)
                kinds[kind].append((inputs.read_image(path), read_old(path)))
    return np.array([d for d, _, _ in items]), np.array([s for _, s, _ in items]), kinds


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models", nargs="+", help="model files")
    p.add_argument("--per-style", type=int, default=2, help="writers per sketch style")
    p.add_argument("--seed", type=int, default=100, help="seed of the writers, papers and light")
    p.add_argument("--keep", default=None, metavar="DIR", help="keep the pictures in DIR")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    y, _, kinds = photo_sets(args.seed, args.per_style, args.keep)
    print(f"{y.size} digits photographed and scanned, read both ways, in "
          f"{time.perf_counter() - t0:.0f} s")
    for m in args.models:
        model = inputs.load_model(m)
        for kind, inks in kinds.items():
            for i, how in enumerate(("new", "old")):
                pred = np.array([predict(model, ink[i]) for ink in inks])
                print(f"{m} {kind} {how}: {100 * np.mean(pred == y):.1f} %, by digit "
                      + " ".join(f"{100 * a:.0f}" for a in robustness.per_digit(pred, y)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
