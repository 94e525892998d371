"""draw.py's backprop views and teaching: --digits on the command line; G, B, digit keys,
Ctrl-Z and K driven by real pygame events (headless)."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fnn
from fnn.teach import HEADER, digit_row

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
           PYGAME_HIDE_SUPPORT_PROMPT="1")


def draw_py(*args):
    return subprocess.run([sys.executable, str(ROOT / "draw.py"), *map(str, args)], cwd=ROOT,
                          env=ENV, capture_output=True, text=True, timeout=60)


def test_digits_reports_the_models_accuracy_per_digit(tmp_path, mnist_test_slice):
    X, y = mnist_test_slice
    path = tmp_path / "mine.csv"
    path.write_text("\n".join([HEADER] + [digit_row(X[:, j], y[j]) for j in range(30)]) + "\n")
    model = ROOT / "data" / "mnist_mlp.npz"
    r = draw_py("--model", model, "--digits", path)
    assert r.returncode == 0, r.stderr
    params, layers, _ = fnn.load(model)
    right = fnn.predict(params, X[:, :30], layers) == y[:30]
    lines = r.stdout.splitlines()
    assert lines[0] == f"{path}: {right.sum()}/30 correct ({right.mean():.1%}) by {model}"
    for d in range(10):
        n, k = int((y[:30] == d).sum()), int(right[y[:30] == d].sum())
        assert any(line.startswith(f"  {d}: ") and line.endswith(f"({k}/{n})") for line in lines)


def test_digits_errors_are_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n")
    r = draw_py("--digits", bad)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [f"draw.py: {bad}: line 1: expected 785 columns (label + 784 "
                                     f"pixels), found 3"]
    r = draw_py("--digits", tmp_path / "missing.csv")
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and "missing.csv" in r.stderr
