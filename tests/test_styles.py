"""The styles MNIST lacks: the brush that keeps a small digit's holes, and the generator of
training digits in those styles (benchmarks/style_digits.py), seeded and apart from the
sketches the benchmarks score."""
import importlib.util
import sys
from pathlib import Path

import numpy as np

from fnnapp.views.canvas import BRUSH_RADIUS, draw_strokes, grow, paint, sized_radius

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
spec = importlib.util.spec_from_file_location("style_digits", ROOT / "benchmarks" / "style_digits.py")
style_digits = importlib.util.module_from_spec(spec)
spec.loader.exec_module(style_digits)
import sketches  # noqa: E402  (benchmarks/sketches.py, on the path since style_digits)


def small_hooked_nine():
    """The scored hooked 9, 8 cells high at (10, 6), and its head's centre (x, y) in cells."""
    s = sketches.STYLES[9]["hooked"]
    allp = np.concatenate(s)
    lo, scale = allp.min(axis=0), 8.0 / np.ptp(allp[:, 1])
    return [(p - lo) * scale + (10, 6) for p in s], (np.array([0.54, 0.18]) - lo) * scale + (10, 6)


def test_a_small_nine_keeps_its_hole_with_the_sized_brush():
    strokes, (x, y) = small_hooked_nine()
    fixed = draw_strokes(np.zeros((28, 28), np.float32), strokes, adapt=False)
    sized = draw_strokes(np.zeros((28, 28), np.float32), strokes)
    assert fixed[int(y), int(x)] > 0.35, "the fixed brush fills the head, or this proves nothing"
    assert sized[int(y), int(x)] < 0.2


def test_the_brush_is_whole_for_a_large_drawing_and_grows_what_is_there():
    canvas = paint(np.zeros((28, 28), np.float32), 4.5, 3.5, prev=(4.5, 24.5))     # 21 cells
    assert sized_radius(canvas, BRUSH_RADIUS) == BRUSH_RADIUS
    whole = paint(np.zeros((28, 28), np.float32), 4.5, 3.5, prev=(4.5, 24.5), adapt=False)
    np.testing.assert_allclose(canvas[8:20], whole[8:20], atol=0.05)   # grown to the whole width
    dot = paint(np.zeros((28, 28), np.float32), 10.5, 10.5, radius=1.2, adapt=False)
    big = paint(np.zeros((28, 28), np.float32), 10.5, 10.5, radius=1.6, adapt=False)
    np.testing.assert_allclose(grow(dot, 0.4), big, atol=0.2)       # 3 x 3 steps: within 0.2
    assert abs(grow(dot, 0.4).sum() - big.sum()) < 0.2 * big.sum() and big.sum() > 1.2 * dot.sum()


def test_style_digits_are_seeded_mnist_rows():
    X, y = style_digits.style_digits(20, 3)
    X2, _ = style_digits.style_digits(20, 3)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, style_digits.style_digits(20, 4)[0])
    assert X.shape == (784, 20) and X.dtype == np.float32 and list(y[:10]) == list(range(10))
    assert 0 <= X.min() and X.max() <= 1 and (X.reshape(28, 28, 20).sum(axis=(0, 1)) > 20).all()


def test_training_shapes_are_not_the_scored_sketches():
    """Held out: the generator draws its own shapes, never a stroke of benchmarks/sketches.py."""
    scored = {np.asarray(s).round(3).tobytes() for _, _, strokes in sketches.all_styles() for s in strokes}
    rng = np.random.default_rng(0)
    u, c = (lambda a, b: rng.uniform(a, b)), (lambda p: rng.uniform() < p)
    drawn = [np.asarray(s).round(3).tobytes() for f in style_digits.SHAPES for _ in range(20) for s in f(u, c)]
    assert not scored & set(drawn)
