#!/usr/bin/env python3
"""Run the test suite under every OpenBLAS kernel and thread count this CPU can run.

    python benchmarks/blas_matrix.py       # the whole suite, each row in turn
    python benchmarks/blas_matrix.py -- tests/test_conv.py -k pool   # extra arguments go to pytest

Rows: OPENBLAS_CORETYPE in Sandybridge, Haswell, Zen (and SkylakeX where the CPU has AVX-512)
times OPENBLAS_NUM_THREADS in 1 and 2. The suite must pass in every row: no test may depend on
the CPU, the BLAS kernel or its thread count unless it pins them itself. CI does not run this
(it runs the suite once, as a user would); it is for a developer, on each kind of machine.
Each row reports the kernel OpenBLAS really ran (threadpoolctl, when it is installed), since
OpenBLAS falls back silently to another kernel where the CPU lacks the instructions.
Exit status: 0 when every row passed, 1 otherwise.
"""
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNELS = ["Sandybridge", "Haswell", "Zen", "SkylakeX"]
THREADS = ["1", "2"]
PROBE = ("import numpy, json\n"
         "try:\n    import threadpoolctl\n"
         "    i = [d for d in threadpoolctl.threadpool_info() if d['user_api'] == 'blas']\n"
         "    print(json.dumps([i[0].get('architecture'), i[0].get('num_threads')] if i else None))\n"
         "except ImportError:\n    print('null')\n")


def cpu():
    """(model name, has AVX-512) from /proc/cpuinfo, or the platform's name elsewhere."""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:
        return platform.processor() or "unknown CPU", False
    name = next((ln.split(":", 1)[1].strip() for ln in text.splitlines()
                 if ln.startswith("model name")), "unknown CPU")
    return name, " avx512f" in text


def main(argv):
    pytest_args = argv[argv.index("--") + 1:] if "--" in argv else []
    name, avx512 = cpu()
    kernels = KERNELS if avx512 else KERNELS[:-1]
    print(f"CPU: {name} ({'AVX-512' if avx512 else 'no AVX-512: SkylakeX row skipped'})")
    base = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    base.update(SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
    rows, failed = [], False
    for kernel in kernels:
        for threads in THREADS:
            env = dict(base, OPENBLAS_CORETYPE=kernel, OPENBLAS_NUM_THREADS=threads)
            ran = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                                 text=True).stdout.strip()
            t0 = time.perf_counter()
            r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                *pytest_args], cwd=ROOT, env=env, capture_output=True, text=True)
            last = (r.stdout.strip().splitlines() or ["(no output)"])[-1]
            rows.append((kernel, threads, ran, r.returncode, last, time.perf_counter() - t0))
            failed |= r.returncode != 0
            print(f"{kernel:>11} x {threads} thread(s): {'pass' if r.returncode == 0 else 'FAIL'}"
                  f"  (ran {ran})  {last}", flush=True)
            if r.returncode != 0:
                print(r.stdout[-4000:], r.stderr[-2000:], sep="\n")
    print("\n| OPENBLAS_CORETYPE | threads | kernel run | result |\n|---|---|---|---|")
    for kernel, threads, ran, rc, last, _ in rows:
        print(f"| {kernel} | {threads} | {ran} | {last} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
