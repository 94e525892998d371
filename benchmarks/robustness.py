#!/usr/bin/env python
"""Which model copes best with how other people write? Accuracy per digit on digits built here.

    python benchmarks/robustness.py data/mnist_mlp.npz data/mnist_cnn.npz [more.npz ...]

Other writers (none of it from MNIST or any other published handwritten-digit set): the stroke
sketches of benchmarks/sketches.py (3 styles a digit) drawn by random writers through the pad's
own brush (fnnapp.views.canvas.draw_strokes), normal-sized and small on the coarse 28x28 grid; and the digits
of the handwriting-style fonts that Debian packages ship, at 48 px and at 12 px (low
resolution). All through fnn.digits.preprocess.mnistify, reported per digit, and compared, column
by column, with the held-out set's per-digit accuracy (issue 18) for the model it was measured on.

People do not draw like MNIST: their digits are off-centre, small or large, slanted, and
drawn with a thicker or thinner pen. This builds those versions of the 10,000 MNIST test
digits (NumPy only, fnn.digits.augment, seeded), feeds each to every model twice -- RAW, and through
the draw path (fnn.digits.preprocess.mnistify, what draw.py and draw.py --image do) -- and writes a
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
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np           # noqa: E402

import draw                  # noqa: E402
import fnn                   # noqa: E402
import photos                # noqa: E402  (benchmarks/photos.py)
import sketches              # noqa: E402  (benchmarks/sketches.py)
from fnn.digits.augment import affine, stroke   # noqa: E402
from fnn.io.data import DataError, load_csv  # noqa: E402
from fnn.io import files as fnn_files                # noqa: E402
from fnn.digits.preprocess import mnistify, to_ink   # noqa: E402
from fnnapp.views.canvas import draw_strokes       # noqa: E402


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


# Handwriting-style fonts from Debian packages (apt-get install fonts-dkg-handwriting
# fonts-breip fonts-rufscript fonts-comic-neue fonts-humor-sans fonts-bwht fonts-dancingscript
# fonts-kaushanscript fonts-klee fonts-kristi fonts-kiloji fonts-leckerli-one); whichever
# are installed are used, and the report lists them. (Outline and ruled-paper fonts are left out.)
FONT_DIRS = ("fifthhorseman", "breip", "rufscript", "comic-neue", "humor-sans", "bwht",
             "dancingscript", "kaushanscript", "klee", "kristi", "kiloji", "leckerli-one")
FONT_ROOT = "/usr/share/fonts"

# The held-out set of other writers (issue 18), measured by the lead on the model of this
# command: per-digit accuracy in %. Only used to say how well each column predicts it.
HELD_OUT = {"command": "python train.py --arch cnn --augment --out data/mnist_cnn.npz --log-every 0",
            "overall": 90.8, "digits": [100, 75, 98, 98, 84, 97, 93, 91, 99, 73]}


def pad_sketches(rng, per_style, height, radius, adapt=True):
    """Every style of benchmarks/sketches.py drawn by `per_style` random writers through the
    pad's brush (fnnapp.views.canvas.draw_strokes on the 28x28 canvas, brush radius ~ U(radius)
    cells, sized to the drawing unless adapt=False: the previous, fixed brush) and the pad's
    preprocessing (mnistify). -> X (784, n) float32, y (n,), style (n,) names."""
    cols, labels, styles = [], [], []
    for digit, name, strokes in sketches.all_styles():
        for _ in range(per_style):
            pts = sketches.writer(strokes, rng, height=height)
            canvas = draw_strokes(np.zeros((28, 28), np.float32), pts, rng.uniform(*radius), adapt)
            cols.append(mnistify(canvas))
            labels.append(digit)
            styles.append(f"{digit} {name}")
    return np.stack(cols, axis=1), np.array(labels), np.array(styles)


def font_files():
    """The installed handwriting fonts (FONT_DIRS), sorted by file name."""
    found = []
    for root, _, files in os.walk(FONT_ROOT):
        if any(os.sep + d in root for d in FONT_DIRS):
            found += [os.path.join(root, f) for f in files if f.lower().endswith((".ttf", ".otf"))]
    return sorted(found, key=os.path.basename)


def font_digits(fonts, size, rotations=(-6, -2, 2, 6)):
    """Each digit of each font, rendered by pygame.freetype at `size` px, rotated by each angle,
    turned to ink (fnn.digits.preprocess.to_ink) and mnistify'd. -> X (784, n), y (n,); glyphs a
    font lacks (no ink) are skipped; style (n,) names the font."""
    import pygame.freetype
    pygame.freetype.init()
    cols, labels, styles = [], [], []
    for path in fonts:
        font = pygame.freetype.Font(path, size)
        for digit in range(10):
            for angle in rotations:
                surf, _ = font.render(str(digit), fgcolor=(255, 255, 255), bgcolor=(0, 0, 0),
                                      rotation=angle)
                ink = to_ink(pygame.surfarray.array3d(surf).transpose(1, 0, 2), invert=False)
                if (ink > 0.05).sum() < 3:
                    continue
                cols.append(mnistify(ink))
                labels.append(digit)
                styles.append(f"{digit} {os.path.basename(path)}")
    return np.stack(cols, axis=1), np.array(labels), np.array(styles)


def writer_proxies(seed=0, per_style=20):
    """{name: (X (784, n) through the draw path, y (n,), style (n,))}, the installed fonts:
    digits by writers who are not in MNIST, built here (see the module docstring)."""
    fonts = font_files()
    small = lambda adapt: pad_sketches(np.random.default_rng([seed, 1]), per_style, (6.0, 10.0),
                                       (1.0, 1.8), adapt)          # the same writers twice
    out = {"sketches": pad_sketches(np.random.default_rng(seed), per_style, (14.0, 22.0), (1.1, 2.2)),
           "small sketches": small(True), FIXED: small(False)}
    if fonts:
        out["fonts"] = font_digits(fonts, 48)
        out["fonts 12 px"] = font_digits(fonts, 12)
    return out, fonts


STYLE_DIGITS = "python benchmarks/style_digits.py --n 20000 --seed 1 --out models/style_digits.csv"
FIXED = "small sketches, fixed brush"      # the previous pad's brush: not in the other-writer mean


def per_digit(pred, y):
    """(10,) accuracy of each digit (nan for a digit with no examples)."""
    return np.array([np.mean(pred[y == d] == d) if np.any(y == d) else np.nan for d in range(10)])


def spearman(a, b):
    """Spearman rank correlation of two (n,) arrays (ties get their mean rank)."""
    def rank(v):
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        r[order] = np.arange(len(v))
        for u in np.unique(v):                     # mean rank of ties
            r[v == u] = r[v == u].mean()
        return r
    ra, rb = rank(np.asarray(a, float)), rank(np.asarray(b, float))
    return float(np.corrcoef(ra, rb)[0, 1])


def one_digit_ms(params, layers, X, calls=300):
    """Median ms of one digit the draw.py way: mnistify a 28x28 image, then predict_proba."""
    times = []
    for k in range(calls):
        img = X[:, k % X.shape[1]].reshape(28, 28)
        t0 = time.perf_counter()
        fnn.predict_proba(params, mnistify(img).reshape(-1, 1), layers)
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


# Earlier default models, compared against but no longer shipped: where git keeps each one.
EARLIER = {"models/mnist_cnn_v1.npz": "2f34bb5:data/mnist_cnn.npz",
           "models/mnist_cnn_v2.npz": "dc338c2:data/mnist_cnn.npz"}


def earlier_note(paths):
    """One line per earlier default among `paths`: how to get it back (git show)."""
    return [f"`{p}` is an earlier default model: `git show {EARLIER[p]} > {p}`."
            for p in paths if p in EARLIER]


def machine():
    """'model name (BLAS kernel)' of this machine, for the report."""
    name = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            name = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), name)
    except OSError:
        pass
    try:
        import threadpoolctl
        kernels = {i.get("architecture") for i in threadpoolctl.threadpool_info() if i.get("architecture")}
        name += f" (BLAS kernel {', '.join(sorted(kernels))})" if kernels else ""
    except ImportError:
        pass
    return name


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models", nargs="+", help="model files (fnn.save / train.py)")
    p.add_argument("--test", default="data/mnist_test.csv.gz", help="MNIST test CSV")
    p.add_argument("--max-rows", type=int, default=None, help="use only the first N test digits")
    p.add_argument("--seed", type=int, default=0, help="seed of the perturbations and writers")
    p.add_argument("--per-style", type=int, default=20,
                   help="random writers drawing each sketch style (30 styles)")
    p.add_argument("--photos-per-style", type=int, default=2,
                   help="writers per sketch style in the photos (benchmarks/photos.py)")
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
    proxies, fonts = writer_proxies(args.seed, args.per_style)
    y_ph, src_ph, pictures = photos.photo_sets(100 + args.seed, args.photos_per_style)
    print(f"built {len(sets)} test sets of {y.size} digits, mnistify'd them, "
          f"{sum(v[1].size for v in proxies.values())} other-writer digits and {y_ph.size} photos "
          f"and scans in {time.perf_counter() - t0:.1f} s", flush=True)

    acc, digits, speed = {}, {}, {}
    for path, (params, layers, _) in models.items():
        t1 = time.perf_counter()
        for name in sets:
            acc[path, name, "raw"] = fnn.accuracy(params, sets[name], y, layers)
            pred = fnn.predict(params, prepped[name], layers)
            acc[path, name, "mnistify"] = float(np.mean(pred == y))
            digits[path, name] = per_digit(pred, y)
        for name, (Xw, yw, sw) in proxies.items():
            pred = fnn.predict(params, Xw, layers)
            acc[path, name, "writers"] = float(np.mean(pred == yw))
            digits[path, name] = per_digit(pred, yw)
            for style in np.unique(sw):
                acc[path, name, style] = float(np.mean(pred[sw == style] == yw[sw == style]))
        model = (params, layers, None)
        for kind, inks in pictures.items():
            for i, how in enumerate(("new", "old")):
                pred = np.array([photos.predict(model, ink[i]) for ink in inks])
                acc[path, kind, how] = float(np.mean(pred == y_ph))
                digits[path, kind, how] = per_digit(pred, y_ph)
        speed[path] = one_digit_ms(params, layers, X)
        print(f"{path}: done in {time.perf_counter() - t1:.1f} s", flush=True)

    names, pnames = list(sets), [n for n in proxies if n != FIXED]
    mean = {(pth, how): float(np.mean([acc[pth, n, how] for n in names]))
            for pth in models for how in ("raw", "mnistify")}
    for pth in models:
        mean[pth, "writers"] = float(np.mean([acc[pth, n, "writers"] for n in pnames]))
        digits[pth, "writers"] = np.mean([digits[pth, n] for n in pnames], axis=0)
        digits[pth, "perturbed"] = np.mean([digits[pth, n] for n in names], axis=0)
    best = max(models, key=lambda pth: (mean[pth, "writers"], mean[pth, "mnistify"]))
    default = os.path.join(draw.HERE, draw.DEFAULT_MODEL)     # what draw.py loads without --model
    is_default = os.path.realpath(best) == os.path.realpath(default)

    def pct(v):
        return "-" if np.isnan(v) else f"{100 * v:.1f}"

    def digit_table(rows):
        """rows: [(label, (10,) accuracies, overall)] -> markdown lines. (The model's path is
        shown without backticks: the perturbation table's `path` row is the one tests/test_readme.py
        reads, so it stays the only row that starts that way.)"""
        out = ["| | " + " | ".join(str(d) for d in range(10)) + " | all |", "|---" * 12 + "|"]
        for label, dg, overall in rows:
            out.append(f"| {label} | " + " | ".join(pct(v) for v in dg) + f" | **{pct(overall)}** |")
        return out

    n_sk = proxies["sketches"][1].size
    lines = [
        "# Robustness: accuracy on digits written the way other people write",
        "",
        "Generated by `benchmarks/robustness.py` (do not edit by hand; rerun it). Command:",
        "",
        "```",
        command,
        "```",
        "",
        f"Machine: {machine()}. Every digit goes through the draw path (`fnn.digits.preprocess.mnistify`: "
        "crop to the ink, longer side to 20 px, centre of mass to the centre -- what `draw.py` "
        "does) unless a cell says raw.",
        "",
        *earlier_note(args.models), *([""] if earlier_note(args.models) else []),
        "## Other writers: digits built here, not from MNIST",
        "",
        f"- **sketches**: the {len(sketches.all_styles())} stroke sketches of "
        "`benchmarks/sketches.py` (3 or 4 styles a digit: a 1 plain, with a flag, with a flag and a "
        "base; an open, a closed and a one-stroke 4; a 7 plain, with a crossbar, with a curved stem; "
        "a 9 with a straight, a curved and a slanted stem; a plain, a looped and a z-like 2; ... and "
        "the styles MNIST lacks: " + ", ".join(f"{d} {n}" for d, n in sketches.NEW_STYLES) + "), each "
        f"drawn by {args.per_style} random writers (seed {args.seed}; wobble, slant +-0.3, rotation "
        "+-8 degrees, width x0.75-1.25, 14-22 cells high, anywhere on the pad) with the pad's brush "
        f"(`fnnapp.views.canvas.draw_strokes`, radius 1.1-2.2 cells, sized to the drawing): {n_sk} digits.",
        "- **small sketches**: the same styles by other writers, 6-10 cells high, radius 1.0-1.8: "
        "small digits on the coarse 28x28 grid, which mnistify scales up (the tiny 3 that became a "
        f"blob). **{FIXED}**: the same digits drawn with the previous pad's brush, whose width did "
        "not follow the drawing's size (not in the mean of the other-writer sets).",
        "- None of these shapes or writers is in the training data: the new default model's extra "
        "training digits come from `benchmarks/style_digits.py`, whose shapes are its own random "
        "parametric ones (not `benchmarks/sketches.py`'s) drawn by its own writers (seed 1, wider "
        "ranges, fixed brush), see [How each model was made](#how-each-model-was-made).",
    ]
    if fonts:
        lines += [
            f"- **fonts**: the digits of {len(fonts)} handwriting-style fonts from Debian packages "
            "(" + ", ".join(f"`{os.path.basename(f)}`" for f in fonts) + "), rendered by "
            "pygame.freetype at 48 px, rotated by -6, -2, 2 and 6 degrees, `to_ink`, mnistify.",
            "- **fonts 12 px**: the same rendered at 12 px: a low-resolution scan that mnistify scales up.",
        ]
    lines += ["", "Accuracy in % by digit; **all** is the accuracy over the whole set.", ""]
    for name in proxies:                       # the fixed-brush set too, though not in the mean
        lines += [f"### {name}", ""]
        lines += digit_table([(pth, digits[pth, name], acc[pth, name, "writers"]) for pth in models])
        lines.append("")
    lines += ["### mean of the other-writer sets", ""]
    lines += digit_table([(pth, digits[pth, "writers"], mean[pth, "writers"]) for pth in models])
    styles = np.unique(proxies["sketches"][2])
    lines += ["", "### sketches and small sketches, by style", "",
              "| style | " + " | ".join(f"`{pth}`" for pth in models) + " |",
              "|---" * (len(models) + 1) + "|"]
    for style in styles:
        lines.append(f"| {style} | " + " | ".join(
            f"{pct(acc[pth, 'sketches', style])} / {pct(acc[pth, 'small sketches', style])}"
            for pth in models) + " |")
    n_ph = int(np.sum(np.char.startswith(src_ph.astype(str), "sketch")))
    lines += [
        "",
        "## Photos of digits on paper against the same digits scanned clean",
        "",
        f"`benchmarks/photos.py` (seed {100 + args.seed}): {y_ph.size} digits ({n_ph} stroke sketches "
        f"of every style by {args.photos_per_style} writers of its own, drawn with a round pen 5-11 % "
        f"of the digit's height wide, and {y_ph.size - n_ph} font glyphs), each saved as a clean scan "
        "(black on evenly white paper, PNG) and as a phone-like photo at 300-1000 px a side (JPEG: "
        "tinted paper, vignetting, light from one side, a shadow edge across the page in 7 of 10, "
        "ruled lines in 6 of 10, a margin line in 3 of 10, blue or black ink, sensor noise). Each file "
        "is read as `python draw.py --image FILE` reads it (**new**: `fnn.digits.photo.photo_to_ink`, "
        "then `even_out_strokes` and the model) and as it was read before (**old**: `to_ink` of the "
        "whole picture). A picture found blank counts as a miss.",
        "",
    ]
    for kind in pictures:
        for how in ("new", "old"):
            lines += [f"### {kind}s, {how} reading", ""]
            lines += digit_table([(pth, digits[pth, kind, how], acc[pth, kind, how]) for pth in models])
            lines.append("")
    lines += [
        "## MNIST test digits perturbed the way people draw",
        "",
        f"{y.size} test digits from `{args.test}`, perturbation seed {args.seed}. Each cell is the "
        "accuracy in % fed **raw** / **through the draw path**. See the module docstring for the exact "
        "perturbations: shifted = 4 px off-centre on both axes, half size = scale 0.45-0.55, enlarged "
        "= scale 1.2-1.3, rotated = +-15 degrees, thick pen = 3x3 max filter, thin pen = half a 3x3 "
        "min filter, as drawn = all of them at once, milder and random.",
        "",
        "| model | " + " | ".join(names) + " | mean |",
        "|---" * (len(names) + 2) + "|",
    ]
    for pth in models:
        cells = [f"{pct(acc[pth, n, 'raw'])} / **{pct(acc[pth, n, 'mnistify'])}**" for n in names]
        lines.append(f"| `{pth}` | " + " | ".join(cells)
                     + f" | {pct(mean[pth, 'raw'])} / **{pct(mean[pth, 'mnistify'])}** |")
    lines += ["", "By digit, the mean over these columns through the draw path:", ""]
    lines += digit_table([(pth, digits[pth, "perturbed"], mean[pth, "mnistify"]) for pth in models])

    # how well each column predicts the held-out set of other writers
    ref = [pth for pth, (_, _, meta) in models.items()
           if isinstance(meta, dict) and meta.get("command") == HELD_OUT["command"]]
    lines += ["", "## Which columns predict the held-out set of other writers", ""]
    if ref:
        r = ref[0]
        held = np.array(HELD_OUT["digits"], float) / 100
        cols = [(n, digits[r, n], acc[r, n, "mnistify"]) for n in names] + \
               [(n, digits[r, n], acc[r, n, "writers"]) for n in pnames] + \
               [("MNIST perturbations, mean", digits[r, "perturbed"], mean[r, "mnistify"]),
                ("other writers, mean", digits[r, "writers"], mean[r, "writers"])]
        lines += [
            f"The held-out set (issue 18) was scored on `{r}` as trained by `{HELD_OUT['command']}`: "
            f"{HELD_OUT['overall']} % overall, by digit " + ", ".join(
                f"{d}: {v}" for d, v in enumerate(HELD_OUT["digits"])) + ". For that model, each "
            "column's overall accuracy and the Spearman rank correlation of its 10 per-digit "
            "accuracies with the held-out set's (1 = it ranks the digits from hardest to easiest "
            "exactly as the held-out set does):",
            "",
            "| column | overall % | held-out weakest 3 (9, 1, 4) among its weakest 3 | Spearman rho by digit |",
            "|---|---|---|---|",
        ]
        weakest = set(np.argsort(held)[:3])
        for n, dg, overall in cols:
            hits = len(weakest & set(np.argsort(dg)[:3]))
            lines.append(f"| {n} | {pct(overall)} | {hits} of 3 | {spearman(dg, held):+.2f} |")
    else:
        lines.append(f"(No model of `{HELD_OUT['command']}` given: nothing to compare with.)")
    order = lambda key: " > ".join(f"`{pth}`" for pth in sorted(models, key=lambda q: -mean[q, key]))
    lines += [
        "",
        "Models ranked by the mean over the other-writer sets: " + order("writers") + "; by the mean "
        "over the MNIST perturbations (draw path): " + order("mnistify") + ". On the held-out set "
        "the CNN of the command above (90.8 %) ranks above the MLP of `python train.py --out "
        "data/mnist_mlp.npz` (84.8 %).",
        "",
        f"**Best on the other-writer sets (mean over them): `{best}`** ({pct(mean[best, 'writers'])} %). "
        f"`draw.py`'s `DEFAULT_MODEL` (`{draw.DEFAULT_MODEL}`) {'is' if is_default else 'is not'} this model.",
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
                     + (f"; test accuracy {pct(test_acc)} %" if isinstance(test_acc, float) else "")
                     + f"; one digit (mnistify + predict_proba, the draw.py path) {speed[pth]:.2f} ms")
    lines += ["", "Files under `models/` are not shipped (git-ignored): the command above each one "
              "retrains it (train.py is seeded). A model fine-tuned with `--init models/mnist_cnn_v2.npz` "
              "starts from the earlier default (`git show dc338c2:data/mnist_cnn.npz > "
              "models/mnist_cnn_v2.npz`) and adds `models/style_digits.csv`, written by "
              f"`{STYLE_DIGITS}` (20,000 digits of every class, the styles MNIST lacks among them: "
              "continental 1s, European 7s, slashed 0s, open 6s, hooked 9s)."]
    return write_report(args.out, lines)


def write_report(out, lines):
    """Write the markdown lines to `out` atomically, print them, and return 0 (exit code)."""
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fnn_files.write(fnn_files.check_one(out, "report"), lambda f: f.write(text.encode()), suffix=".md")
    print(text)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
