"""Shared test setup: the repo root on sys.path, one BLAS thread, headless pygame, MNIST slices,
train.main in-process, and slow command lines run in the background (Early)."""
import gzip
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# One BLAS thread unless the environment says otherwise, set before NumPy loads, as train.py
# sets it for itself: train.main run in this process then computes as `python train.py` does,
# and the tests' many small products do not wait on a second thread (on 2 cores it made the
# suite slower, and much slower while anything else ran).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
from fnn.io.data import load_csv  # noqa: E402  (after the sys.path line)
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

DATA = ROOT / "data"


def _read_slice(name, rows):
    return load_csv(DATA / name, max_rows=rows)


def shipped_lines(name, rows):
    """The header line and the first `rows` rows of data/NAME as they are in the file (text,
    line ends kept), for tests that write small CSVs in the shipped format without parsing and
    formatting them again."""
    with gzip.open(DATA / name, "rt", newline="") as f:
        return [line for line, _ in zip(f, range(rows + 1))]


@pytest.fixture(scope="session")
def mnist_train_slice():
    """The first 6,000 training images: X (784, 6000) float32 in [0, 1], y (6000,)."""
    return _read_slice("mnist_train.csv.gz", 6000)


@pytest.fixture(scope="session")
def mnist_test_slice():
    """The first 2,000 test images: X (784, 2000), y (2000,)."""
    return _read_slice("mnist_test.csv.gz", 2000)


@pytest.fixture
def train_in_process(capsys):
    """train.main(args) in this process -> (exit code, stdout, stderr lines), the signal
    handlers main installs put back afterwards. No interpreter start and no imports, for tests
    of what main decides; subprocess tests show the real command line ends the same way."""
    import train
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def call(*args):
        try:
            code = train.main(list(map(str, args)))
        finally:
            for s, h in saved.items():
                signal.signal(s, h)
        out, err = capsys.readouterr()
        return code, out, err.splitlines()
    return call


def one_line(lines, *phrases):
    """stderr's lines are one line (no traceback) holding every phrase: what an error test
    checks, with the exit code and that nothing was written, rather than the whole wording."""
    return len(lines) == 1 and all(str(p) in lines[0] for p in phrases)


# ---- slow command lines, run in the background from the start of the session -----------------
# A test file may define queue_early(d) (d: a new folder for its files), which starts its slow
# command lines that need nothing from other tests as Early(...) values and returns what its
# tests need; the `early` fixture hands that to them. queue_early runs when pytest collects the
# file, so the lines run on the core pytest leaves idle, one at a time in the order queued.

_background = ThreadPoolExecutor(1)
_queued = {}                                  # test module name -> what its queue_early returned
_folders = []


class Early:
    """f(*args, **kwargs) run in the background thread; result() waits for what it returned
    (or raises what it raised). Early.command(args, ...) is a command line (completed)."""

    def __init__(self, f, *args, **kwargs):
        self.future = _background.submit(f, *args, **kwargs)

    @classmethod
    def command(cls, args, **popen):
        """completed(args, **popen), in this moment's folder and environment unless given."""
        popen.setdefault("cwd", os.getcwd())
        popen.setdefault("env", dict(os.environ))
        return cls(completed, args, **popen)

    def result(self, timeout=300):
        return self.future.result(timeout)


def completed(args, timeout=None, **popen):
    """subprocess.run(args, **popen) with its output kept -> CompletedProcess (text)."""
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                          **popen)


def pytest_itemcollected(item):
    """The first time pytest collects a test of a file, queue that file's slow command lines."""
    module = getattr(item, "module", None)
    if module is None or module.__name__ in _queued or not hasattr(module, "queue_early") \
            or item.config.option.collectonly:
        return
    _folders.append(Path(tempfile.mkdtemp(prefix="fnn-early-")))
    try:
        _queued[module.__name__] = module.queue_early(_folders[-1])
    except Exception as e:                     # its tests fail with it (the `early` fixture)
        _queued[module.__name__] = e


def pytest_sessionfinish(session):
    """What is queued and not started is dropped; what runs is waited for; the folders go."""
    _background.shutdown(cancel_futures=True)
    for d in _folders:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def early(request):
    """What this test file's queue_early(d) returned (see Early)."""
    value = _queued[request.module.__name__]
    if isinstance(value, Exception):
        raise value
    return value
