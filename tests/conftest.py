"""Shared test setup: the repo root on sys.path, headless pygame, and MNIST slices."""
import gzip
import os
import signal
import sys
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
from fnn.data import load_csv  # noqa: E402  (after the sys.path line)
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

DATA = ROOT / "data"


def _read_slice(name, rows):
    return load_csv(DATA / name, max_rows=rows)


@pytest.fixture(scope="session")
def shipped_lines():
    """lines(name, rows): the header line and the first `rows` rows of data/NAME as they are
    in the file (text, line ends kept), for tests that write small CSVs in the shipped format
    without parsing and formatting them again."""
    def lines(name, rows):
        with gzip.open(DATA / name, "rt", newline="") as f:
            return [line for line, _ in zip(f, range(rows + 1))]
    return lines


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
