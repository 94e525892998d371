"""How much CPU the drawing pad takes while nobody touches it, written to docs/idle.md.

    python benchmarks/idle.py                  # the dummy video driver, and Xvfb when installed
    python benchmarks/idle.py --seconds 30

Starts `python draw.py`, waits until its window is up, then reads the process's CPU time
(utime + stime from /proc/<pid>/stat, Linux) over --seconds of idling: CPU % = CPU time / wall
time. Under Xvfb (Debian's xvfb package) the pad draws into a real X window; with
SDL_VIDEODRIVER=dummy it draws into memory.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from robustness import machine  # noqa: E402  (the machine line every report carries)
sys.path.insert(0, ROOT)
from fnn.io import files  # noqa: E402  (every write through one door)


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (fields 14 and 15 of /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_percent(env, seconds, settle=3.0):
    """Start the pad with `env`, let it settle, -> CPU % over `seconds` of idling."""
    pad = subprocess.Popen([sys.executable, os.path.join(ROOT, "draw.py")], env=env, cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(settle)                              # imports, the model, the first frame
        if pad.poll() is not None:
            raise SystemExit(f"draw.py exited: {pad.stderr.read().decode().strip()}")
        c0, t0 = cpu_seconds(pad.pid), time.perf_counter()
        time.sleep(seconds)
        c1, t1 = cpu_seconds(pad.pid), time.perf_counter()
    finally:
        pad.terminate()
        pad.wait(10)
    return 100 * (c1 - c0) / (t1 - t0)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "idle.md"))
    p.add_argument("--display", default=":97", help="the X display number Xvfb takes (free on this machine)")
    args = p.parse_args(argv)
    base = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "SDL_VIDEODRIVER")}
    rows = [("SDL_VIDEODRIVER=dummy", idle_percent(dict(base, SDL_VIDEODRIVER="dummy"), args.seconds))]
    if shutil.which("Xvfb"):
        xvfb = subprocess.Popen(["Xvfb", args.display, "-screen", "0", "1280x800x24"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)
            rows.append(("Xvfb, a real X window", idle_percent(dict(base, DISPLAY=args.display), args.seconds)))
        finally:
            xvfb.terminate()
            xvfb.wait(10)
    lines = ["# The pad at rest", "",
             "`python benchmarks/idle.py` starts `python draw.py`, waits for its first frame, and "
             f"reads its CPU time over {args.seconds:g} s in which nothing happens.", "",
             "| display | CPU of one core while idle |", "|---|---|"]
    lines += [f"| {name} | {pct:.1f} % |" for name, pct in rows]
    lines += ["", f"Measured {time.strftime('%Y-%m-%d')} on {machine()}, {os.cpu_count()} logical cores.", ""]
    text = "\n".join(lines)
    files.write(files.check_one(args.out, "report"), lambda f: f.write(text.encode()), suffix=".md")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
