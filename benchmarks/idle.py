"""How much CPU the windows take while nobody touches them, written to docs/idle.md.

    python benchmarks/idle.py                  # the dummy video driver, and Xvfb when installed
    python benchmarks/idle.py --seconds 30

Starts each window (the pad; the playground, which opens paused; the training lab at its end
screen after a short run; the lab paused mid-run, under Xvfb with xdotool pointing at it and pressing Space: a run
that was not paused would take a whole core),
waits until it is up, then reads the process's CPU time (utime + stime from
/proc/<pid>/stat, Linux) over --seconds of rest: CPU % = CPU time / wall time. Under Xvfb
(Debian's xvfb package) a window is a real X window; with SDL_VIDEODRIVER=dummy it draws into
memory.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from robustness import machine  # noqa: E402  (the machine line every report carries)
sys.path.insert(0, ROOT)
from fnn.io import files  # noqa: E402  (every write through one door)

LAB = ["train.py", "--watch", "--train", os.path.join(ROOT, "data", "mnist_train.csv.gz"),
       "--max-rows", "2000", "--log-every", "0", "--out", "m.npz"]      # a short run, in a temporary folder


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (fields 14 and 15 of /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rest_percent(args, env, seconds, settle, press=None):
    """Start `args` (a script of the repo and its options) with `env`, let it settle (and press
    the key `press` with xdotool), -> CPU % over `seconds` of rest."""
    with tempfile.TemporaryDirectory() as d:                 # where a lab run saves its model
        proc = subprocess.Popen([sys.executable, os.path.join(ROOT, args[0]), *args[1:]], env=env,
                                cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            time.sleep(settle)                               # imports, the model, the first frame
            if press:
                subprocess.run(["xdotool", "mousemove", "200", "200", "key", press], env=env, check=True)
                time.sleep(1.0)
            if proc.poll() is not None:
                raise SystemExit(f"{args[0]} exited: {proc.stderr.read().decode().strip()}")
            c0, t0 = cpu_seconds(proc.pid), time.perf_counter()
            time.sleep(seconds)
            c1, t1 = cpu_seconds(proc.pid), time.perf_counter()
        finally:
            proc.terminate()
            proc.wait(10)
    return 100 * (c1 - c0) / (t1 - t0)


def windows():
    """(name, args, settle seconds, key to press or None, needs a real X window)."""
    return [("the pad (`python draw.py`)", ["draw.py"], 3.0, None, False),
            ("the playground, paused as it opens (`python playground.py`)", ["playground.py"], 3.0, None, False),
            ("the lab at its end screen (`python train.py --watch`, 2,000 rows, 1 epoch)",
             [*LAB, "--epochs", "1"], 15.0, None, False),
            ("the lab paused mid-run (Space; `--epochs 1000` would train for minutes)",
             [*LAB, "--epochs", "1000"], 6.0, "space", True)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "idle.md"))
    p.add_argument("--display", default=":97", help="the X display number Xvfb takes (free on this machine)")
    args = p.parse_args(argv)
    out = files.check_one(args.out, "report")
    base = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "SDL_VIDEODRIVER")}
    dummy = dict(base, SDL_VIDEODRIVER="dummy")
    xvfb = None
    if shutil.which("Xvfb"):
        xvfb = subprocess.Popen(["Xvfb", args.display, "-screen", "0", "1400x900x24"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
    real = dict(base, DISPLAY=args.display)
    rows = []
    try:
        for name, cmd, settle, press, needs_x in windows():
            pct_dummy = None if needs_x else rest_percent(cmd, dummy, args.seconds, settle)
            pct_x = None
            if xvfb is not None and (press is None or shutil.which("xdotool")):
                pct_x = rest_percent(cmd, real, args.seconds, settle, press)
            rows.append((name, pct_dummy, pct_x))
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)
    shown = lambda pct: "n/a" if pct is None else f"{pct:.1f} %"      # noqa: E731
    lines = ["# The windows at rest", "",
             "`python benchmarks/idle.py` starts each window, waits until it is up, and reads its "
             f"CPU time over {args.seconds:g} s in which nothing happens.", "",
             "| window | SDL_VIDEODRIVER=dummy | Xvfb, a real X window |", "|---|---|---|"]
    lines += [f"| {name} | {shown(d)} | {shown(x)} |" for name, d, x in rows]
    lines += ["", "n/a: not measured that way (a key press needs a real X window and xdotool).",
              "", f"Measured {time.strftime('%Y-%m-%d')} on {machine()}, {os.cpu_count()} logical cores.", ""]
    text = "\n".join(lines)
    files.write(out, lambda f: f.write(text.encode()), suffix=".md")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
