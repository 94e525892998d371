"""The figures of docs/why.md: what would make it a 7 (fnn.counterfactual), the nearest training
digits (fnn.analysis.nearest), calibration (fnn.analysis.calibration) and the pad's
"that does not look like a digit" rule, measured for both shipped models.

    python benchmarks/explain_figures.py                 # writes docs/why.md (a few minutes)
    python benchmarks/explain_figures.py --rows 200      # a quick look, printed only

Non-digits are made here: letters rendered with pygame.freetype's bundled font, random
scribbles drawn with the pad's brush, dots (an empty-ish canvas) and noise; every one goes
through fnn.digits.preprocess.mnistify as a drawing on the pad does.
"""
import argparse
import os
import platform
import subprocess
import sys
import time

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

import fnn  # noqa: E402
from fnn.analysis import calibration, nearest  # noqa: E402
from fnn.digits.preprocess import INK_THRESHOLD, mnistify  # noqa: E402
from fnn.io import files  # noqa: E402
from fnn.io.data import load_csv  # noqa: E402
from fnnapp.cli.sources import load_training  # noqa: E402
from fnnapp.views.canvas import draw_strokes, is_empty  # noqa: E402

MODELS = {"MLP": "data/mnist_mlp.npz", "CNN": "data/mnist_cnn.npz"}
TRAIN, TEST = "data/mnist_train.csv.gz", "data/mnist_test.csv.gz"


def machine():
    """The CPU model (lscpu) and the BLAS kernel (threadpoolctl)."""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in subprocess.run(
            ["lscpu"], capture_output=True, text=True).stdout.splitlines() if l.startswith("Model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown CPU"
    try:
        from threadpoolctl import threadpool_info
        blas = ", ".join(f"{i.get('internal_api')} {i.get('architecture', '')}".strip()
                         for i in threadpool_info() if i.get("user_api") == "blas")
    except ImportError:
        blas = "unknown BLAS"
    return f"{cpu}, {os.cpu_count()} cores, {blas or 'unknown BLAS'}, NumPy {np.__version__}"


# ---- non-digits ---------------------------------------------------------------------------------

def letters(rng, n):
    """n letters A-Z a-z (no O, o, l, I, S, s, Z, z, B, b, g, q: they are drawn like digits)
    rendered with pygame.freetype's bundled font at random sizes and slants, as 28x28 ink."""
    import pygame.freetype
    import pygame.surfarray
    pygame.freetype.init()
    font = pygame.freetype.Font(None, 24)
    chars = [c for c in "ACDEFGHJKLMNPQRTUVWXYacdefhijkmnprtuvwxy"]
    out = []
    for _ in range(n):
        c = chars[rng.integers(len(chars))]
        surf, _ = font.render(c, (255, 255, 255), (0, 0, 0), size=int(rng.integers(18, 40)),
                              rotation=int(rng.integers(-15, 16)))
        ink = pygame.surfarray.array3d(surf).mean(axis=2).T / 255.0
        out.append(mnistify(ink))
    X = np.stack(out, axis=1).reshape(784, -1)
    return X, (X > INK_THRESHOLD).sum(axis=0)           # a letter drawn on the pad fills it as a digit does


def drawn(canvas_of):
    """n canvases made by canvas_of(rng) -> (X (784, n) after mnistify, as the pad feeds the
    network, and the ink of each canvas: pixels above INK_THRESHOLD)."""
    def make(rng, n):
        canvases = [canvas_of(rng) for _ in range(n)]
        X = np.stack([mnistify(c) if not is_empty(c) else c for c in canvases], axis=1)
        return X.reshape(784, -1).astype(np.float32), np.array([(c > INK_THRESHOLD).sum() for c in canvases])
    make.__doc__ = canvas_of.__doc__
    return make


@drawn
def scribbles(rng):
    """Random scribbles: 2-4 strokes of a random walk across the 28x28 canvas, the pad's brush."""
    strokes = []
    for _ in range(rng.integers(2, 5)):
        steps = rng.normal(0, 2.5, (int(rng.integers(6, 16)), 2)).cumsum(axis=0)
        strokes.append(np.clip(rng.uniform(6, 22, 2) + steps, 2, 26))
    return draw_strokes(np.zeros((28, 28), np.float32), strokes)


@drawn
def dots(rng):
    """Empty-ish canvases: one dab or a stroke of at most 2 cells."""
    a = rng.uniform(4, 24, 2)
    return draw_strokes(np.zeros((28, 28), np.float32), [np.stack([a, a + rng.uniform(-2, 2, 2)])])


@drawn
def noise(rng):
    """Noise: each cell inked with probability 0.05-0.5, at random strength."""
    return (rng.random((28, 28)) < rng.uniform(0.05, 0.5)) * rng.random((28, 28))


NON_DIGITS = {"letters": letters, "scribbles": scribbles, "dots": dots, "noise": noise}


# ---- the measurements ---------------------------------------------------------------------------

def counterfactuals(params, layers, X, y, seed=0):
    """fnn.counterfactual towards a random other digit for each column: success rate (p >= 0.5),
    median L1 change, median pixels changed by more than 0.1, seconds."""
    t = (y + 1 + np.random.default_rng(seed).integers(0, 9, y.size)) % 10
    start = time.perf_counter()
    new = fnn.counterfactual(params, X, t, layers)
    seconds = time.perf_counter() - start
    p = fnn.predict_proba(params, new, layers)[t, np.arange(t.size)]
    change = np.abs(new - X)
    return {"success": float(np.mean(p >= 0.5)), "l1": float(np.median(change.sum(axis=0))),
            "pixels": float(np.median((change > 0.1).sum(axis=0))), "seconds": seconds}


def temperature(params, layers, seed=0):
    """T fitted on the validation rows of train.py's default split (what --calibrate does)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[1])
    _, _, X_val, y_val = load_training([(TRAIN, 1)], None, 0.1, rng)
    return calibration.fit_temperature(fnn.predict_proba(params, X_val, layers), y_val), y_val.size


def bank_of(params, layers, folder):
    """The nearest-digits bank built from the whole training CSV and cached in folder, timed."""
    start = time.perf_counter()
    X, y = load_csv(TRAIN)
    bank = nearest.build(params, layers, X, y)
    path = os.path.join(folder, "model.nearest.npz")
    nearest.save_cache(path, bank, nearest.params_hash(params), nearest.file_hash(TRAIN), TRAIN)
    return bank, time.perf_counter() - start, os.path.getsize(path)


def judged(params, layers, T, bank, X, ink):
    """nearest.doubt for each column of X (network inputs) with its canvas ink -> reasons (m,)."""
    P = calibration.scale(fnn.predict_proba(params, X, layers), T)
    _, d = nearest.search(bank["features"].astype(np.float32), nearest.features(params, X, layers), 1)
    return [nearest.doubt(i, p, dn, float(bank["d_max"])) for i, p, dn in zip(ink, P.max(axis=0), d[0])]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1000, help="MNIST test digits for the counterfactuals")
    ap.add_argument("--made", type=int, default=300, help="non-digits of each kind")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "why.md"))
    args = ap.parse_args(argv)
    import tempfile
    rng = np.random.default_rng(0)
    X_test, y_test = load_csv(TEST)
    ink_test = (X_test > INK_THRESHOLD).sum(axis=0)
    seen_test = np.stack([mnistify(X_test[:, j].reshape(28, 28)) for j in range(y_test.size)], 1).reshape(784, -1)
    made = {name: make(rng, args.made) for name, make in NON_DIGITS.items()}
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        for label, path in MODELS.items():
            params, layers, meta = fnn.load(os.path.join(ROOT, path))
            r = {"model": path}
            r["cf"] = counterfactuals(params, layers, X_test[:, :args.rows], y_test[:args.rows])
            print(label, "counterfactual", r["cf"], flush=True)
            r["T_fit"], r["n_val"] = temperature(params, layers)
            T = float(meta.get("temperature", r["T_fit"]))     # the pad's T: the one in the model
            P = fnn.predict_proba(params, X_test, layers)
            r["T"] = T
            r["ece"] = (calibration.ece(P, y_test), calibration.ece(calibration.scale(P, T), y_test))
            print(label, "T", T, "ECE", r["ece"], flush=True)
            bank, r["build"], r["size"] = bank_of(params, layers, folder)
            print(label, "bank", r["build"], r["size"], flush=True)
            r["d_max"] = float(bank["d_max"])
            reasons = judged(params, layers, T, bank, seen_test, ink_test)
            r["fa"] = (np.mean([w is not None for w in reasons]),
                       {k: np.mean([w == k for w in reasons]) for k in set(reasons) - {None}})
            r["hits"] = {}
            for name, (X, ink) in made.items():
                why = judged(params, layers, T, bank, X, ink)
                r["hits"][name] = (np.mean([w is not None for w in why]),
                                   {k: np.mean([w == k for w in why]) for k in set(why) - {None}})
            print(label, "FA", r["fa"], r["hits"], flush=True)
            rows[label] = r
    text = report(rows, args.rows, args.made, y_test.size)
    files.write(files.check_one(args.out, "report"), lambda f: f.write(text.encode()), suffix=".md")
    print(f"wrote {args.out}")


def share(rate, fmt):
    """(rate, {reason: share}) as "41% (ink 0%, ...)", the reasons in the rule's order."""
    order = ["too little ink", f"no digit above {nearest.P_MIN:.0%}", "unlike every training digit"]
    return f"{rate[0]:{fmt}} (" + ", ".join(f"{k} {rate[1].get(k, 0):{fmt}}" for k in order) + ")"


def report(rows, n_cf, n_made, n_test):
    """docs/why.md from the measurements: a section a question, a table column a model."""
    kinds = list(next(iter(rows.values()))["hits"])
    shared = "s; 2 cores shared with other jobs"
    sections = [
        ("What would make it a d: `fnn.counterfactual`",
         f"""The first {n_cf:,} MNIST test digits, each pushed towards a random other digit (seed 0),
with the defaults (at most 200 steps, eta 0.02, lam 0.1, stop at p >= 0.5):""",
         [("reaches p(target) >= 0.5", lambda r: f"{r['cf']['success']:.1%}"),
          ("median L1 change (pixels of full ink)", lambda r: f"{r['cf']['l1']:.1f}"),
          ("median pixels changed by > 0.1", lambda r: f"{r['cf']['pixels']:.0f}"),
          (f"time for the {n_cf:,} ({shared})", lambda r: f"{r['cf']['seconds']:.1f}")],
         """The CNN needs fewer pixels, but its changes are scattered specks (an adversarial
example more than a stroke): look at `--press w8` with `--model data/mnist_cnn.npz`."""),
        ("Nearest training digits: `fnn.analysis.nearest`",
         """The bank: A[L-1] of all 60,000 training digits, unit length in float16, their labels and
pixels (uint8), in a compressed .npz beside the model keyed by the params' and the CSV's
sha256. Built once (the CSV loaded whole, the forward passes 1,000 digits at a time):""",
         [(f"build time, CSV loading included ({shared})", lambda r: f"{r['build']:.1f}"),
          ("cache size (MB)", lambda r: f"{r['size'] / 1e6:.1f}"),
          ("d_max: 99th percentile of a training digit's distance to its nearest other",
           lambda r: f"{r['d_max']:.3f}")], ""),
        ("Calibration: `fnn.analysis.calibration`",
         f"""T is the temperature stored in the model's meta, the one the pad uses (train.py fits it
on the validation rows of the run's training files; fitted on MNIST's alone, the 6,000 of the
default split, it is the row below); expected calibration error (15 bins) on the {n_test:,}
MNIST test digits:""",
         [("temperature T (the model's)", lambda r: f"{r['T']:.3f}"),
          ("T refitted on MNIST's validation rows", lambda r: f"{r['T_fit']:.3f}"),
          ("ECE of A[L]", lambda r: f"{r['ece'][0]:.2%}"),
          ("ECE of softmax(Z / T)", lambda r: f"{r['ece'][1]:.2%}")], ""),
        ("\"That does not look like a digit\"",
         f"""The rule (`fnn.analysis.nearest.doubt`): fewer than {nearest.MIN_INK} pixels of ink on the pad, or
a calibrated max probability below {nearest.P_MIN:.0%}, or (once N has built the bank) the nearest
training digit farther than d_max. Its thresholds were set from training digits only, so
the false alarms are measured on the {n_test:,} MNIST test digits (put through mnistify as the pad
does) and the hits on {n_made} non-digits of each kind made by this script (letters of
pygame.freetype's font, random scribbles with the pad's brush, single dabs, noise):""",
         [("false alarms on MNIST test digits", lambda r: share(r["fa"], ".2%"))]
         + [(f"hit rate: {kind}", lambda r, kind=kind: share(r["hits"][kind], ".0%")) for kind in kinds],
         """In brackets: the share caught by each part of the rule, tried in the order ink,
probability, distance. Until N has built the bank, the pad applies the first two only:
their shares add up to its rates then."""),
    ]
    out = [f"""# Why did it say that? Counterfactuals, nearest digits, honest confidence

Written by `python benchmarks/explain_figures.py` on {machine()}.
The pad's keys: W then a digit d (what would make it a d), N (the nearest training digits);
the bars use the calibrated softmax(Z / T), and the panel says "that does not look like a
digit" by the rule below. The equations: docs/math.md, section 9.

![the pad: what would make it an 8](why.png)

*`python draw.py --model data/mnist_mlp.npz --screenshot docs/why.png --press w8`: the MLP
would read the pad's 3 as an 8 with ink added where the 3 is open on the left.*

![the pad: the nearest training digits](why_nearest.png)

*`python draw.py --model data/mnist_mlp.npz --screenshot docs/why_nearest.png --press n`: the
eight training digits nearest to the pad's 3 in the MLP's last hidden layer.*
"""]
    for title, intro, table, after in sections:
        out += [f"## {title}", "", intro, "", f"| | {' | '.join(rows)} |", "|---|" + "---|" * len(rows)]
        out += [f"| {name} | " + " | ".join(f(r) for r in rows.values()) + " |" for name, f in table]
        out += ["", after, ""] if after else [""]
    return "\n".join(out)


if __name__ == "__main__":
    main()
