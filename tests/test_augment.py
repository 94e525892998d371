"""Tests for fnn.augment: affine warps and stroke-width changes of (784, m) batches."""

import numpy as np
import pytest

from fnn.augment import affine, random_affine, stroke
from fnn.preprocess import center_of_mass as com        # (y, x), pixel [i, j] at (i, j)


@pytest.fixture(scope="module")
def X(mnist_test_slice):
    """The first 600 MNIST test digits as a C-contiguous (784, 600) float32 batch (a copy),
    one image per column."""
    return np.ascontiguousarray(mnist_test_slice[0][:, :600])


def images(X):
    """(784, m) -> (m, 28, 28)"""
    return np.asarray(X).T.reshape(-1, 28, 28)


def pattern():
    """An asymmetric (784, 1) test image: an L of length 6 and a lone dot."""
    img = np.zeros((28, 28), dtype=np.float32)
    img[4:10, 6] = 1.0           # vertical bar, top left
    img[9, 6:12] = 0.5           # horizontal foot to the right
    img[20, 22] = 0.25           # dot, bottom right
    return img.reshape(784, 1)


# ---------------------------------------------------------------- affine

def test_identity_reproduces_X(X):
    out = affine(X, 0.0, 1.0, 0.0, 0.0)
    assert out.shape == X.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, X, atol=1e-6)


@pytest.mark.parametrize("dx, dy", [(1, 0), (0, 1), (-2, 3)])
def test_whole_pixel_shift_is_exact(X, dx, dy):
    out = images(affine(X[:, :50], 0.0, 1.0, dx, dy))
    src = images(X[:, :50])
    expected = np.zeros_like(src)
    H = W = 28
    kept = (slice(max(dy, 0), H + min(dy, 0)), slice(max(dx, 0), W + min(dx, 0)))
    expected[(slice(None), *kept)] = src[:, max(-dy, 0):H - max(dy, 0), max(-dx, 0):W - max(dx, 0)]
    np.testing.assert_allclose(out, expected, atol=1e-6)
    vacated = np.ones((H, W), bool)
    vacated[kept] = False
    assert not out[:, vacated].any(), "the rows / columns shifted in are exactly 0"


def test_half_pixel_shift_averages_neighbours():
    out = affine(pattern(), 0.0, 1.0, 0.5, 0.0).reshape(28, 28)
    assert out[20, 22] == pytest.approx(0.125) and out[20, 23] == pytest.approx(0.125)


def test_rotate_90_is_counter_clockwise():
    P = pattern()
    out = affine(P, 90.0, 1.0, 0.0, 0.0).reshape(28, 28)
    np.testing.assert_allclose(out, np.rot90(P.reshape(28, 28)), atol=1e-5)
    # the dot at (row 20, col 22) goes to (row 27-22, col 20) = (5, 20): up and to the right
    assert out[5, 20] == pytest.approx(0.25, abs=1e-5)
    np.testing.assert_allclose(affine(P, -90.0, 1.0, 0.0, 0.0).reshape(28, 28),
                               np.rot90(P.reshape(28, 28), k=-1), atol=1e-5)
    np.testing.assert_allclose(affine(P, 180.0, 1.0, 0.0, 0.0).reshape(28, 28),
                               np.rot90(P.reshape(28, 28), k=2), atol=1e-5)


def test_rotation_moves_centre_of_mass_as_a_rotation(X):
    """COM c0 of a digit goes to c + Rot(theta)(c0 - c), c = (13.5, 13.5)."""
    theta = np.deg2rad(20.0)
    src, out = images(X[:, :20]), images(affine(X[:, :20], 20.0, 1.0, 0.0, 0.0))
    for a, b in zip(src, out):
        (y0, x0), (y1, x1) = com(a), com(b)
        u, v = x0 - 13.5, y0 - 13.5
        assert x1 == pytest.approx(13.5 + np.cos(theta) * u + np.sin(theta) * v, abs=0.15)
        assert y1 == pytest.approx(13.5 - np.sin(theta) * u + np.cos(theta) * v, abs=0.15)


@pytest.mark.parametrize("s", [0.8, 1.15])
def test_scale_multiplies_ink_by_s_squared(X, s):
    out = affine(X[:, :50], 0.0, s, 0.0, 0.0)
    ratio = out.sum(axis=0) / X[:, :50].sum(axis=0)     # area scales by s^2 (bilinear: roughly)
    assert np.median(ratio) == pytest.approx(s * s, rel=0.02)
    np.testing.assert_allclose(ratio, s * s, rtol=0.1)


def test_per_image_parameters_match_one_by_one(X):
    Xs = X[:, :4]
    angle, s = np.array([0.0, 10.0, -30.0, 45.0]), np.array([1.0, 0.9, 1.1, 1.0])
    dx, dy = np.array([0.0, 1.5, -2.0, 0.3]), np.array([2.0, -0.7, 0.0, 1.0])
    batch = affine(Xs, angle, s, dx, dy)
    for k in range(4):
        single = affine(Xs[:, k:k + 1], angle[k], s[k], dx[k], dy[k])
        np.testing.assert_array_equal(batch[:, k:k + 1], single)


def test_layout_and_dtype_do_not_matter(X):
    Xs = X[:, :40]
    ref = affine(Xs, 7.0, 1.05, 0.5, -1.25)
    outs = [affine(variant, 7.0, 1.05, 0.5, -1.25)
            for variant in (np.asfortranarray(Xs), Xs.astype(np.float64), X[:, :80:2])]
    for out in outs:
        assert out.dtype == np.float32 and out.shape == (784, 40)
    fortran, float64, strided = outs
    np.testing.assert_array_equal(fortran, ref)
    np.testing.assert_allclose(float64, ref, atol=1e-6)
    np.testing.assert_array_equal(strided,
                                  affine(np.ascontiguousarray(X[:, :80:2]), 7.0, 1.05, 0.5, -1.25))


def test_bad_input_is_reported():
    with pytest.raises(ValueError, match=r"must have shape \(784, m\)"):
        affine(np.zeros((28, 28)), 0, 1, 0, 0)
    with pytest.raises(ValueError, match=r"angle_deg must be a scalar or have shape \(3,\)"):
        affine(np.zeros((784, 3)), np.zeros(2), 1, 0, 0)
    with pytest.raises(ValueError, match="scale must be > 0"):
        affine(np.zeros((784, 3)), 0, 0.0, 0, 0)


# ---------------------------------------------------------------- random_affine

def test_random_affine_is_reproducible_and_in_range(X):
    a = random_affine(X, np.random.default_rng(7))
    b = random_affine(X, np.random.default_rng(7))
    c = random_affine(X, np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0.1
    assert a.dtype == np.float32 and a.shape == X.shape
    assert a.min() >= 0.0 and a.max() <= 1.0
    assert np.abs(a - X).mean() > 0.01                      # it did change the images


def test_random_affine_with_zero_ranges_is_identity(X):
    out = random_affine(X[:, :30], np.random.default_rng(0), max_shift=0.0, max_rotate=0.0,
                        scale=(1.0, 1.0))
    np.testing.assert_allclose(out, X[:, :30], atol=1e-6)


def test_random_affine_draws_one_warp_per_image():
    """Same image repeated: every copy gets its own warp, all within the stated bounds."""
    P = np.repeat(pattern(), 200, axis=1)
    out = images(random_affine(P, np.random.default_rng(3), max_shift=2.0, max_rotate=0.0,
                               scale=(1.0, 1.0)))
    shifts = np.array([com(o) for o in out]) - np.array(com(P[:, 0].reshape(28, 28)))
    assert len(np.unique(np.round(shifts, 6), axis=0)) == 200
    assert np.abs(shifts).max() <= 2.0 + 1e-6 and np.abs(shifts).max() > 1.8


# ---------------------------------------------------------------- stroke

def test_stroke_dilate_and_erode_exactly():
    img = np.zeros((28, 28), dtype=np.float32)
    img[5, 5] = 1.0
    img[15:18, 15:18] = 1.0
    out = stroke(img.reshape(784, 1), 1.0).reshape(28, 28)
    expected = np.zeros((28, 28))
    expected[4:7, 4:7] = 1.0
    expected[14:19, 14:19] = 1.0
    np.testing.assert_array_equal(out, expected)
    out = stroke(img.reshape(784, 1), -1.0).reshape(28, 28)
    expected = np.zeros((28, 28))
    expected[16, 16] = 1.0
    np.testing.assert_array_equal(out, expected)
    corner = np.zeros((28, 28), dtype=np.float32)
    corner[0, 0] = 1.0                                      # zero outside the image
    assert stroke(corner.reshape(784, 1), 1.0).sum() == 4.0


def test_stroke_per_image_amounts(X):
    amount = np.array([0.0, 0.5, -0.4])
    out = stroke(X[:, :3], amount)
    assert out.dtype == np.float32 and out.min() >= 0 and out.max() <= 1
    np.testing.assert_array_equal(out[:, 0], X[:, 0])
    assert out[:, 1].sum() > 1.2 * X[:, 1].sum()            # thicker
    assert out[:, 2].sum() < 0.9 * X[:, 2].sum()            # thinner
    with pytest.raises(ValueError, match=r"amount must lie in \[-1, 1\]"):
        stroke(X[:, :3], 1.5)


def test_stroke_any_memory_layout(X):
    """A strided view gives the same result as a contiguous copy."""
    amount = np.linspace(-0.5, 1.0, X[:, ::3].shape[1])
    np.testing.assert_array_equal(stroke(X[:, ::3], amount),
                                  stroke(np.ascontiguousarray(X[:, ::3]), amount))
