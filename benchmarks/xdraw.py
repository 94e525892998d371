#!/usr/bin/env python
"""Draw digits in a real draw.py window with the mouse, as a person would, and count the hits.

    python benchmarks/xdraw.py data/mnist_cnn.npz models/mnist_cnn_v2.npz [--writers 3] [--display :93]

Needs Xvfb and xdotool (apt-get install -y xvfb xdotool). For each model it starts a virtual X
display (unless --display names a running one), opens `python draw.py --model M` in it, and
for every digit and every sketch style of benchmarks/sketches.py (3 or 4 a digit), `--writers`
random writers (the same ones for every model) draw it with xdotool: mouse down, a path of
mouse moves every half cell, mouse up, for each stroke; then S, and the prediction line
draw.py prints on S is read from its stdout; then C clears the pad. Writes a per-digit table
of hits to --out (docs/xdraw.md) with this command.
"""
import argparse
import os
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import numpy as np          # noqa: E402

import sketches             # noqa: E402
from fnnapp.views import pad          # noqa: E402  (only its geometry: CANVAS, CELL)
from robustness import earlier_note, machine, write_report   # noqa: E402


def xdo(display, *args):
    """Run one xdotool command line on the display."""
    subprocess.run(["xdotool", *map(str, args)], check=True, env=dict(os.environ, DISPLAY=display))


def screen_path(stroke, origin, step=0.5):
    """A stroke in pad cells -> integer screen pixels, a point every `step` cells."""
    seg = np.hypot(*np.diff(stroke, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.linspace(0, s[-1], max(2, int(np.ceil(s[-1] / step)) + 1))
    x, y = np.interp(t, s, stroke[:, 0]), np.interp(t, s, stroke[:, 1])
    ox, oy = origin
    return np.stack([ox + pad.CANVAS.x + x * pad.CELL, oy + pad.CANVAS.y + y * pad.CELL],
                    axis=1).round().astype(int)


def draw_digit(display, strokes, origin, pause):
    """Mouse down, moves, mouse up for every stroke, as one xdotool chain per stroke."""
    for stroke in strokes:
        pts = screen_path(stroke, origin)
        chain = ["mousemove", *pts[0], "sleep", pause, "mousedown", 1]
        for x, y in pts[1:]:
            chain += ["mousemove", x, y, "sleep", pause]
        chain += ["mouseup", 1, "sleep", pause]
        xdo(display, *chain)


def read_prediction(proc, timeout=10.0):
    """The next 'prediction: d (p%)' line draw.py prints -> d, or None on a timeout."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        line = proc.stdout.readline()
        if not line:
            return None
        if line.startswith("prediction:"):
            return int(line.split()[1])
    return None


def run_model(model, display, digits, pause, shot=None):
    """Open draw.py on the display with `model`, draw every (digit, strokes), -> predictions.
    shot: a PNG path to save the screen to after the last digit's S (ImageMagick's import)."""
    env = dict(os.environ, DISPLAY=display, SDL_AUDIODRIVER="dummy", PYTHONUNBUFFERED="1")
    env.pop("SDL_VIDEODRIVER", None)
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "draw.py"), "--model", model],
                            stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        wid = subprocess.run(["xdotool", "search", "--sync", "--class", "draw.py"],
                             capture_output=True, text=True, env=env, timeout=120).stdout.split()[0]
        geo = subprocess.run(["xdotool", "getwindowgeometry", "--shell", wid],
                             capture_output=True, text=True, env=env).stdout
        g = dict(line.split("=") for line in geo.split())
        origin = (int(g["X"]), int(g["Y"]))
        xdo(display, "windowfocus", "--sync", wid)
        time.sleep(0.5)
        preds = []
        for _, strokes in digits:
            draw_digit(display, strokes, origin, pause)
            time.sleep(0.05)
            xdo(display, "key", "s")
            preds.append(read_prediction(proc))
            if shot and len(preds) == len(digits):
                time.sleep(0.3)                      # a frame or two after S
                subprocess.run(["import", "-display", display, "-window", "root", shot], check=True)
            xdo(display, "key", "c")
            time.sleep(0.05)
        xdo(display, "key", "Escape")
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    return preds


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models", nargs="+", help="model files for draw.py --model")
    p.add_argument("--writers", type=int, default=2, help="random writers per digit style")
    p.add_argument("--seed", type=int, default=0, help="seed of the writers")
    p.add_argument("--display", default=None, help="a running X display (default: start Xvfb)")
    p.add_argument("--pause", type=float, default=0.004, help="seconds between mouse moves")
    p.add_argument("--out", default=os.path.join("docs", "xdraw.md"), help="markdown report")
    p.add_argument("--shot", default=None, metavar="PNG",
                   help="save the screen after the last digit of the first model")
    args = p.parse_args(argv)
    given = list(argv if argv is not None else sys.argv[1:])
    if "--shot" in given[:-1]:                   # where a screenshot went is not part of the figures
        i = given.index("--shot")
        given = given[:i] + given[i + 2:]
    command = "python benchmarks/xdraw.py " + " ".join(shlex.quote(a) for a in given)

    rng = np.random.default_rng(args.seed)
    styled = [(d, name, sketches.writer(strokes, rng, height=(12.0, 22.0)))
              for d, name, strokes in sketches.all_styles() for _ in range(args.writers)]
    digits = [(d, strokes) for d, _, strokes in styled]
    xvfb = None
    display = args.display
    if display is None:                  # a free display number, chosen by Xvfb (-displayfd)
        r, w = os.pipe()
        xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x800x24",
                                 "-nolisten", "tcp"], pass_fds=(w,),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(w)
        with os.fdopen(r) as f:
            display = ":" + f.readline().strip()
    try:
        results = {}
        for model in args.models:
            t0 = time.perf_counter()
            results[model] = run_model(model, display, digits, args.pause,
                                       args.shot if model == args.models[0] else None)
            print(f"{model}: {len(digits)} digits drawn in {time.perf_counter() - t0:.0f} s", flush=True)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()

    y = np.array([d for d, _ in digits])
    lines = ["# Drawing in a real window: hits per digit", "",
             "Generated by `benchmarks/xdraw.py` (do not edit by hand; rerun it). Command:", "",
             "```", command, "```", "",
             f"Machine: {machine()}. draw.py ran in an Xvfb window; xdotool drew every digit "
             f"style of `benchmarks/sketches.py` ({len(sketches.all_styles())} styles, 3 or 4 a digit) by "
             f"{args.writers} random writers (seed {args.seed}; slant, rotation, wobble, 12-22 "
             "cells high, anywhere on the pad): mouse down, a mouse move every half cell, mouse up "
             "for each stroke, then S; the prediction is the line draw.py prints on S. Hits of "
             "each digit's styles times writers:", "",
             *earlier_note(args.models), *([""] if earlier_note(args.models) else []),
             "| model | " + " | ".join(str(d) for d in range(10)) + " | all |",
             "|---" * 12 + "|"]
    for model, preds in results.items():
        pr = np.array([-1 if v is None else v for v in preds])
        cells = [f"{int(np.sum(pr[y == d] == d))}/{int(np.sum(y == d))}" for d in range(10)]
        lines.append(f"| `{model}` | " + " | ".join(cells)
                     + f" | **{100 * np.mean(pr == y):.1f} %** |")
        missed = [f"{d}->{'?' if v is None else v}" for (d, _), v in zip(digits, preds) if v != d]
        lines.append(f"| (misses) | {', '.join(missed) or 'none'} |" + " |" * 10)
    lines += ["", f"The styles MNIST lacks (benchmarks/sketches.py NEW_STYLES), hits of {args.writers} "
              "writers each:", "",
              "| model | " + " | ".join(f"{d} {n}" for d, n in sketches.NEW_STYLES) + " |",
              "|---" * (len(sketches.NEW_STYLES) + 1) + "|"]
    for model, preds in results.items():
        cells = []
        for d, n in sketches.NEW_STYLES:
            got = [v for (dd, nn, _), v in zip(styled, preds) if (dd, nn) == (d, n)]
            cells.append(f"{sum(v == d for v in got)}/{len(got)} ("
                         + ", ".join("?" if v is None else str(v) for v in got) + ")")
        lines.append(f"| `{model}` | " + " | ".join(cells) + " |")
    return write_report(args.out, lines)


if __name__ == "__main__":
    sys.exit(main())
