"""Shared test setup: the repo root on sys.path, headless pygame, and MNIST slices."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from fnn.data import load_csv  # noqa: E402  (after the sys.path line)
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

DATA = ROOT / "data"


def _read_slice(name, rows):
    return load_csv(DATA / name, max_rows=rows)


@pytest.fixture(scope="session")
def mnist_train_slice():
    """The first 6,000 training images: X (784, 6000) float32 in [0, 1], y (6000,)."""
    return _read_slice("mnist_train.csv.gz", 6000)


@pytest.fixture(scope="session")
def mnist_test_slice():
    """The first 2,000 test images: X (784, 2000), y (2000,)."""
    return _read_slice("mnist_test.csv.gz", 2000)
