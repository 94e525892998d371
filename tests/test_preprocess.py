"""Tests for fnn.digits.preprocess: area resizing, centre of mass, mnistify, to_ink."""

import numpy as np
import pytest

from fnn.digits.preprocess import INK_THRESHOLD, center_of_mass, mnistify, resize_area, to_ink


@pytest.fixture(scope="module")
def digits(mnist_test_slice):
    """The first 1000 MNIST test digits as (1000, 28, 28) float32 in [0, 1]: a copy, Fortran
    ordered as (1000, 784), so each digit is a strided (non-contiguous) 28x28 view."""
    X, _ = mnist_test_slice
    return np.asfortranarray(X[:, :1000].T).reshape(-1, 28, 28)


def bbox(img, threshold=0.0):
    """(height, width) of the box around pixels > threshold."""
    ink = img > threshold
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def assert_mnist_like(out):
    assert out.shape == (784,) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    img = out.reshape(28, 28)
    cy, cx = center_of_mass(img)
    assert abs(cy - 14.0) <= 0.5 and abs(cx - 14.0) <= 0.5, (cy, cx)
    assert max(bbox(img)) == 20


# ---------------------------------------------------------------- resize_area

@pytest.mark.parametrize("shape_in, shape_out", [((37, 53), (20, 11)), ((37, 53), (60, 90)),
                                                 ((5, 3), (28, 28)), ((200, 300), (13, 20))])
def test_resize_area_preserves_mean(shape_in, shape_out):
    img = np.random.default_rng(0).uniform(size=shape_in)
    out = resize_area(img, *shape_out)
    assert out.shape == shape_out
    assert out.mean() == pytest.approx(img.mean(), rel=1e-12)


def test_resize_area_integer_factor_is_block_mean(digits):
    img = digits[0].astype(np.float64)
    np.testing.assert_allclose(resize_area(img, 14, 14),
                               img.reshape(14, 2, 14, 2).mean(axis=(1, 3)), atol=1e-12)
    np.testing.assert_allclose(resize_area(img, 7, 4),
                               img.reshape(7, 4, 4, 7).mean(axis=(1, 3)), atol=1e-12)


def test_resize_area_identity_and_constant(digits):
    img = digits[1].astype(np.float64)
    np.testing.assert_array_equal(resize_area(img, 28, 28), img)
    np.testing.assert_allclose(resize_area(np.full((9, 7), 0.3), 20, 13), 0.3, atol=1e-12)


def test_resize_area_upscale_replicates_pixels():
    img = np.array([[0.0, 1.0], [0.5, 0.25]])
    np.testing.assert_allclose(resize_area(img, 4, 6), np.kron(img, np.ones((2, 3))), atol=1e-12)


def test_resize_area_rejects_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        resize_area(np.zeros((3, 3, 3)), 2, 2)
    with pytest.raises(ValueError, match="at least 1x1"):
        resize_area(np.zeros((3, 3)), 0, 2)


# ---------------------------------------------------------------- center_of_mass

def test_center_of_mass():
    img = np.zeros((28, 28))
    img[3, 7] = 1.0
    assert center_of_mass(img) == (3.0, 7.0)
    img[5, 9] = 3.0
    assert center_of_mass(img) == pytest.approx((4.5, 8.5))
    assert center_of_mass(np.zeros((28, 20))) == (13.5, 9.5)        # no mass: geometric centre


# ---------------------------------------------------------------- mnistify

def test_mnist_com_convention(digits):
    """MNIST's centre of mass is (14, 14) in 0-based pixel coordinates, not 13.5; the figures
    the fnn.digits.preprocess docstring quotes: mean (13.99, 14.01), std 0.29 on each axis."""
    coms = np.array([center_of_mass(d) for d in digits])
    np.testing.assert_allclose(coms.mean(axis=0), (14.0, 14.0), atol=0.05)
    np.testing.assert_allclose(coms.mean(axis=0), (13.99, 14.01), atol=0.005)
    np.testing.assert_allclose(coms.std(axis=0), (0.29, 0.29), atol=0.005)
    assert np.abs(coms - 14.0).max() <= 0.51


def test_mnistify_is_nearly_idempotent_on_mnist(digits):
    out = np.stack([mnistify(d) for d in digits])
    assert out.dtype == np.float32 and out.shape == (1000, 784)
    flat = digits.reshape(1000, 784)
    mad = np.abs(out - flat).mean()
    assert mad < 1e-4, mad
    changed = out != flat                        # the only differences: faint pixels, now 0
    assert not out[changed].any() and (flat[changed] <= INK_THRESHOLD).all()
    for o in out[:50]:
        assert_mnist_like(o)


def test_mnistify_undoes_a_shift(digits):
    d = digits[4]
    canvas = np.zeros((40, 40), dtype=np.float32)
    canvas[9:37, 2:30] = d                       # moved 9 down, 2 right, on a bigger canvas
    out = mnistify(canvas)
    assert_mnist_like(out)
    np.testing.assert_array_equal(out, mnistify(d))


@pytest.mark.parametrize("factor", [2, 10])
def test_mnistify_enlarged_digit(digits, factor):
    """A digit drawn big (56x56 or 280x280 canvas) comes back as the original."""
    for d in digits[:5]:
        big = np.kron(d, np.ones((factor, factor), dtype=np.float32))
        out = mnistify(big)
        assert_mnist_like(out)
        assert np.abs(out - d.ravel()).mean() < 1e-3


def test_mnistify_shrunk_digit(digits):
    """A digit at half size in a corner is scaled back up to a 20 px long side and centred.
    Halving loses detail, so the result only resembles the original (correlation r checked)."""
    r = []
    for d in digits[:20]:
        canvas = np.zeros((28, 28))
        canvas[1:15, 12:26] = resize_area(d, 14, 14)
        out = mnistify(canvas)
        assert_mnist_like(out)
        r.append(np.corrcoef(out, d.ravel())[0, 1])
    assert np.mean(r) > 0.8 and np.min(r) > 0.5, r


def test_mnistify_keeps_aspect_ratio():
    one = np.zeros((60, 60))
    one[10:50, 28:34] = 1.0                      # a "1": 40 tall, 6 wide
    out = mnistify(one).reshape(28, 28)
    assert bbox(out) == (20, 3)                  # 6 * 20/40
    assert out.max() == pytest.approx(1.0)


def test_mnistify_edge_cases():
    zeros = mnistify(np.zeros((28, 28)))
    assert zeros.shape == (784,) and zeros.dtype == np.float32 and not zeros.any()
    assert not mnistify(np.full((10, 10), 0.05)).any()   # at the threshold: no ink

    dot = np.zeros((28, 28))
    dot[0, 27] = 1.0
    out = mnistify(dot).reshape(28, 28)
    assert out.sum() == pytest.approx(400.0)             # one pixel -> a 20x20 block
    assert center_of_mass(out) == pytest.approx((14.5, 14.5))

    assert mnistify(np.ones((1, 1))).sum() == pytest.approx(400.0)
    full = mnistify(np.ones((28, 28))).reshape(28, 28)
    assert bbox(full) == (20, 20)
    line = mnistify(np.ones((1, 300))).reshape(28, 28)
    assert bbox(line) == (1, 20)

    out = mnistify(np.full((5, 5), 7.0))                 # out of range input is clipped
    assert out.max() == 1.0
    with pytest.raises(ValueError, match="2-D"):
        mnistify(np.zeros(784))



def test_resize_longer_side_rounds_exact_halves_up():
    """One rule for mnistify and even_out_strokes: side * n / L rounded half up, at least 1 px,
    exact even where a float is not (117 * (20 / 312) is 7.4999999... in floats, 7.5 exactly)."""
    from fractions import Fraction
    from math import floor
    from fnn.digits.preprocess import _resize_longer_side
    for (h, L, n), want in [((1, 8, 20), 3), ((117, 312, 20), 8), ((5, 160, 80), 3),
                            ((725, 928, 80), 63), ((10, 28, 20), 7), ((1, 300, 20), 1)]:
        a = np.ones((h, L))
        assert _resize_longer_side(a, n).shape == (want, n)
        assert _resize_longer_side(a.T, n).shape == (n, want)
    for n in (20, 80):
        for L in range(1, 100):
            for h in range(1, L + 1):
                want = max(1, floor(Fraction(h * n, L) + Fraction(1, 2)))
                assert _resize_longer_side(np.ones((h, L)), n).shape == (want, n), (h, L, n)


# ---------------------------------------------------------------- to_ink

def test_to_ink_polarity_does_not_matter(digits):
    d8 = np.round(digits[5] * 255).astype(np.uint8)
    light_on_dark = np.repeat(d8[:, :, None], 3, axis=2)
    dark_on_light = 255 - light_on_dark
    a, b = to_ink(light_on_dark), to_ink(dark_on_light)
    np.testing.assert_allclose(a, b, atol=1e-12)
    np.testing.assert_allclose(a, d8 / d8.max(), atol=1e-12)  # black background; max -> 1
    np.testing.assert_allclose(to_ink(dark_on_light[:, :, 0]), a, atol=1e-12)   # grey input
    rgba = np.concatenate([dark_on_light, np.full((28, 28, 1), 255, np.uint8)], axis=2)
    np.testing.assert_allclose(to_ink(rgba), a, atol=1e-12)
    np.testing.assert_allclose(to_ink(dark_on_light / 255.0), a, atol=1e-12)    # float input
    np.testing.assert_allclose(to_ink(dark_on_light, invert=True), a, atol=1e-12)


def test_to_ink_scan_on_grey_paper(digits):
    """Blue pen on noisy grey paper, 10x bigger: mnistify(to_ink(scan)) ~ the digit."""
    rng = np.random.default_rng(1)
    d = np.kron(digits[6], np.ones((10, 10)))
    paper = np.array([200.0, 195.0, 185.0]) + rng.normal(0, 4, size=d.shape + (3,))
    pen = np.array([30.0, 40.0, 120.0])
    scan = np.clip(paper * (1 - d[..., None]) + pen * d[..., None], 0, 255).astype(np.uint8)
    ink = to_ink(scan)
    assert ink.shape == d.shape and ink.min() == 0.0 and ink.max() == 1.0
    assert (ink[d == 0] == 0).mean() > 0.99                 # paper noise suppressed
    out = mnistify(ink)
    assert_mnist_like(out)
    assert np.abs(out - digits[6].ravel()).mean() < 0.03


def test_to_ink_blank_and_bad_input():
    assert not to_ink(np.full((30, 40, 3), 255, np.uint8)).any()
    assert not to_ink(np.zeros((30, 40))).any()
    with pytest.raises(ValueError, match="to_ink: expected"):
        to_ink(np.zeros((4, 4, 2)))
    with pytest.raises(ValueError, match="invert must be"):
        to_ink(np.zeros((4, 4)), invert="yes")
