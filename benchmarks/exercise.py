"""The exercise's correct solution trained by train.py --impl on the full MNIST, written to
docs/exercise_run.md (the suite trains it on a slice only, to stay fast).

    python benchmarks/exercise.py                  # seeds 0 1 2
    python benchmarks/exercise.py --seeds 0

Runs `python train.py --impl tests/exercise_solution.py --hidden 128 --epochs 2 --seed S`
(54,000 training rows, the 10,000 test rows) and records each run's test accuracy and time.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from robustness import machine  # noqa: E402  (the machine line every report carries)

COMMAND = ["train.py", "--impl", "tests/exercise_solution.py", "--hidden", "128", "--epochs", "2"]


def run(seed, out):
    """One run -> (test accuracy %, seconds of the whole command)."""
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, *COMMAND, "--seed", str(seed), "--out", out, "--log-every", "0"],
                       cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"train.py failed: {r.stderr.strip()}")
    acc = float(r.stdout.split("test accuracy ")[1].split("%")[0])
    return acc, time.perf_counter() - t0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "exercise_run.md"))
    args = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for seed in args.seeds:
            acc, seconds = run(seed, os.path.join(d, "m.npz"))
            rows.append(f"| {seed} | {acc:.2f} % | {seconds:.1f} s |")
            print(rows[-1], flush=True)
    text = "\n".join([
        "# The exercise's solution on the full MNIST", "",
        f"`python benchmarks/exercise.py` runs `python {' '.join(COMMAND)} --seed S`: the learner's "
        "four functions of `tests/exercise_solution.py` (written from docs/math.md, no fnn), plain "
        "gradient descent at --lr 0.1, batch 32, on 54,000 training rows, tested on the 10,000 test rows.", "",
        "| seed | test accuracy | time (loading included) |", "|---|---|---|", *rows, "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}, {os.cpu_count()} logical cores "
        "(times include other jobs sharing the machine, if any).", ""])
    with open(args.out, "w") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(args.out)}")


if __name__ == "__main__":
    main()
