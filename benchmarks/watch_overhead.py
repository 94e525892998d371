#!/usr/bin/env python
"""What watching costs: python train.py against python train.py --watch on full MNIST.

    python benchmarks/watch_overhead.py                     # MLP, 3 epochs, 3 runs of each
    python benchmarks/watch_overhead.py --arch cnn --epochs 1 --repeats 1

Each run is a fresh process (train.main in it, the window on SDL's dummy driver, so the
drawing is done in full but nothing reaches a screen), plain and watched in turn, same
options and seed. The time compared is fit's training time: from its start to the last
epoch's record ("elapsed"), which includes every step, every validation pass and, watched,
every frame the window drew between steps. The results view at the end is skipped (it waits
for a person). Writes the table to docs/watch_overhead.md (--out) with the command and machine.
"""
import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def child(argv):
    """One run in this process: -> prints {"seconds": fit's elapsed, "cpu": the process's CPU
    seconds over the same span, "frames": frames drawn,
    "window": seconds spent in the window's see() (events, frames, pauses: none here)}."""
    os.environ.update(SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
    sys.path.insert(0, ROOT)
    import train
    from fnnapp.cli import run
    got = {"frames": 0, "window": 0.0}
    fit, follow, cpu0 = run.fit, run.follow, []

    def timed_fit(*a, **kw):                 # fit's clock starts here, the CPU clock too
        cpu0.append(time.process_time())
        return fit(*a, **kw)

    def timed_follow(args, rec, *rest):      # every record of fit passes through run.follow
        if rec["kind"] == "epoch":
            got["seconds"], got["cpu"] = rec["elapsed"], time.process_time() - cpu0[-1]
        return follow(args, rec, *rest)
    run.fit, run.follow = timed_fit, timed_follow
    if "--watch" in argv:
        from fnnapp.views import lab
        see = lab.Watch.see

        def timed_see(self, rec):
            t0 = time.perf_counter()
            try:
                return see(self, rec)
            finally:
                got["window"] += time.perf_counter() - t0
                got["frames"] = self.frames
        lab.Watch.see = timed_see
        lab.Watch.results = lambda self, *a: None
    with open(os.devnull, "w") as quiet:
        stdout, sys.stdout = sys.stdout, quiet
        try:
            code = train.main(argv)
        finally:
            sys.stdout = stdout
    if code != 0:
        sys.exit(f"train.py {' '.join(argv)} exited with {code}")
    print(json.dumps({k: got[k] for k in ("seconds", "cpu", "frames", "window")}))


def machine():
    """lscpu's model name and OpenBLAS's kernel (threadpoolctl), as every figure names them."""
    name = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                 if ln.startswith("model name")), platform.processor()) if os.path.exists("/proc/cpuinfo") \
        else platform.processor()
    probe = ("import numpy, threadpoolctl, json; i = [d for d in threadpoolctl.threadpool_info() "
             "if d['user_api'] == 'blas']; print(json.dumps(i[0] if i else {}))")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                       env=dict(os.environ, OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", "1")))
    blas = json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else {}
    return name, blas.get("architecture", "unknown (threadpoolctl not installed)"), blas.get("num_threads")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", choices=("mlp", "cnn"), default="mlp")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "watch_overhead.md"))
    args = p.parse_args()
    base = ["--arch", args.arch, "--epochs", str(args.epochs), "--log-every", "0"]
    env = dict(os.environ, OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    runs = {"plain": [], "watch": []}
    load = [os.getloadavg()[0]]
    scratch = os.path.join(ROOT, "runs")
    os.makedirs(scratch, exist_ok=True)
    for r in range(args.repeats):
        for mode in (("plain", "watch") if r % 2 == 0 else ("watch", "plain")):   # either first
            argv = base + ["--out", os.path.join(scratch, f"overhead_{mode}.npz")] + \
                (["--watch"] if mode == "watch" else [])
            res = subprocess.run([sys.executable, __file__, "--child", *argv], cwd=ROOT, env=env,
                                 capture_output=True, text=True)
            if res.returncode != 0:
                sys.exit(res.stderr.strip()[-2000:])
            runs[mode].append(json.loads(res.stdout.strip().splitlines()[-1]))
            print(f"run {r + 1} {mode}: {runs[mode][-1]}", flush=True)
    load.append(os.getloadavg()[0])
    plain = [x["seconds"] for x in runs["plain"]]
    watch = [x["seconds"] for x in runs["watch"]]
    ratios = [w / p_ for w, p_ in zip(watch, plain)]
    cpu_p, cpu_w = [x["cpu"] for x in runs["plain"]], [x["cpu"] for x in runs["watch"]]
    cpu, kernel, threads = machine()
    share = [x["window"] / x["seconds"] for x in runs["watch"]]
    frame_ms = [1e3 * x["window"] / max(x["frames"], 1) for x in runs["watch"]]
    command = "python benchmarks/watch_overhead.py" + "".join(" " + shlex.quote(a) for a in sys.argv[1:])
    lines = [
        f"# What watching costs: `train.py --arch {args.arch}` with and without `--watch`", "",
        f"Written by `{command}`: full MNIST (54,000 training rows, 6,000 validation), "
        f"the default recipe for {args.epochs} epoch(s), {args.repeats} run(s) of each, "
        "plain and watched in turn (each first in every other round), each a fresh process; "
        "the window on SDL's dummy driver "
        "(every frame drawn, none shown). Time: fit's training time, first step to the last "
        "epoch's record, validation passes and the window's frames included.", "",
        f"Machine: {cpu}, {os.cpu_count()} cores; OpenBLAS kernel {kernel}, {threads} thread(s); "
        f"load average {load[0]:.1f} at the start, {load[1]:.1f} at the end (other processes "
        "on the same cores).", "",
        "| run | plain CPU s | watched CPU s | CPU watched / plain | plain wall s | watched wall s "
        "| wall watched / plain | frames | in the window | ms a frame |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *[f"| {i + 1} | {cp:.2f} | {cw:.2f} | {cw / cp:.3f} | {p_:.2f} | {w:.2f} | {w / p_:.3f} | "
          f"{x['frames']} | {sh:.1%} | {ms:.1f} |"
          for i, (cp, cw, p_, w, x, sh, ms) in enumerate(zip(cpu_p, cpu_w, plain, watch, runs["watch"],
                                                               share, frame_ms))],
        f"| median | {statistics.median(cpu_p):.2f} | {statistics.median(cpu_w):.2f} | "
        f"{statistics.median([w / p_ for w, p_ in zip(cpu_w, cpu_p)]):.3f} | "
        f"{statistics.median(plain):.2f} | {statistics.median(watch):.2f} | "
        f"{statistics.median(ratios):.3f} | | {statistics.median(share):.1%} | "
        f"{statistics.median(frame_ms):.1f} |", "",
        "*CPU*: the process's CPU time over the training (time.process_time), what watching "
        "costs in work; *wall*: fit's elapsed time, which on a shared machine also moves with "
        "what other processes do.",
        "*in the window*: the share of the watched run's wall time spent in the window's `see()` "
        "(handling keys, drawing frames), measured inside the same run.", ""]
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
