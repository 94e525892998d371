"""Peak memory of loading hostile files, measured in a fresh process (shared by the tests of
fnn.load and fnn.io.data.load_csv)."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = r"""
import resource, sys
from {module} import {load} as load, {error} as Expected
load(sys.argv[1])                                      # the normal working set: a valid file
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:   # an address-space cap, so that a regression fails here instead of taking the machine
    with open("/proc/self/status") as f:
        vm = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (vm + 2 ** 30, resource.getrlimit(resource.RLIMIT_AS)[1]))
except (OSError, StopIteration, ValueError):
    pass
for path in sys.argv[2:]:
    try:
        load(path)
        outcome = "loaded"
    except Expected:
        outcome = Expected.__name__
    except BaseException as e:
        outcome = type(e).__name__
    print(path, outcome, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)
"""


def peak_growth(module, load, error, good, paths):
    """[(path, outcome, MB)]: for each path, what `module.load(path)` did (the name of `error`
    when it raised that, "loaded", or another exception's name) and by how many MB the peak
    RSS of the process had grown over loading the valid file `good` (a high-water mark, so the
    growth of one path includes the paths before it)."""
    run = subprocess.run(command(module, load, error, good, paths), capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    return growth(run)


def command(module, load, error, good, paths):
    """The command line peak_growth runs (for a test that starts it itself, conftest.Early)."""
    script = SCRIPT.format(module=module, load=load, error=error)
    return [sys.executable, "-c", script, str(good), *map(str, paths)]


def growth(run):
    """peak_growth's list from the CompletedProcess of command(...)."""
    assert run.returncode == 0, run.stderr
    return [(p, outcome, int(mb)) for p, outcome, mb in (line.rsplit(" ", 2) for line in run.stdout.splitlines())]
