"""Tests for fnn.digits.augment: affine warps and stroke-width changes of (784, m) batches."""

import numpy as np
import pytest

from fnn.digits.augment import (AUGMENTATIONS, affine, coarse, elastic, erase, gaussian_matrix, random_affine,
                          random_coarse, random_elastic, random_erase, random_pen, smooth_noise,
                          segment, flag_ones, stroke, writers)
from fnn.digits.preprocess import center_of_mass as com        # (y, x), pixel [i, j] at (i, j)


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
    with pytest.raises(ValueError, match=r"amount must lie in \[-1, 2\]"):
        stroke(X[:, :3], 2.5)


def test_stroke_any_memory_layout(X):
    """A strided view gives the same result as a contiguous copy."""
    amount = np.linspace(-0.5, 1.0, X[:, ::3].shape[1])
    np.testing.assert_array_equal(stroke(X[:, ::3], amount),
                                  stroke(np.ascontiguousarray(X[:, ::3]), amount))


# ---------------------------------------------------------------- slant (affine's shear)

def test_shear_slants_to_the_right_and_keeps_rows():
    """h = 0.5: a vertical bar's top (6 rows above centre at row 7.5) moves 3 px right, its
    bottom row stays; every row keeps its ink (a shear moves pixels along rows only)."""
    img = np.zeros((28, 28), dtype=np.float32)
    img[7:21, 10] = 1.0                                    # rows 7..20, centre row 13.5
    out = affine(img.reshape(784, 1), 0.0, 1.0, 0.0, 0.0, shear=0.5).reshape(28, 28)
    cols = np.arange(28)
    x_of = lambda row: (out[row] * cols).sum() / out[row].sum()
    assert x_of(7) == pytest.approx(10 + 0.5 * 6.5, abs=1e-4)     # top: right
    assert x_of(20) == pytest.approx(10 - 0.5 * 6.5, abs=1e-4)    # bottom: left
    np.testing.assert_allclose(out.sum(axis=1), img.sum(axis=1), atol=1e-5)


def test_zero_shear_is_the_old_affine(X):
    np.testing.assert_array_equal(affine(X[:, :20], 10.0, 1.1, 1.0, -1.0, shear=0.0),
                                  affine(X[:, :20], 10.0, 1.1, 1.0, -1.0))


# ---------------------------------------------------------------- elastic

def test_gaussian_matrix_rows_sum_to_one_inside_and_identity_at_zero():
    G = gaussian_matrix(2.0)
    assert G[14].sum() == pytest.approx(1.0, abs=1e-3)      # away from the border: the full kernel
    assert G[0].sum() == pytest.approx(0.5 + G[0, 0] / 2, abs=1e-2)   # half a kernel at the edge
    np.testing.assert_array_equal(gaussian_matrix(0.0), np.eye(28))


def test_smooth_noise_std_matches_formula_and_is_smooth():
    N = smooth_noise(np.random.default_rng(0), 400, 4.0)[:, 0, 8:20, 8:20]
    assert N.std() == pytest.approx(1 / (np.sqrt(12 * np.pi) * 4.0), rel=0.1)
    step = np.diff(N, axis=-1).std()                       # neighbours alike: smooth
    assert step < 0.25 * N.std()


def test_elastic_zero_field_is_identity_and_uniform_field_is_a_shift(X):
    zero = np.zeros((30, 28, 28))
    np.testing.assert_allclose(elastic(X[:, :30], zero, zero), X[:, :30], atol=1e-6)
    one = np.ones((30, 28, 28))                            # out[i, j] = X[i, j + 1]: moved left
    np.testing.assert_allclose(elastic(X[:, :30], one, zero), affine(X[:, :30], 0, 1, -1, 0), atol=1e-6)


def test_random_elastic_is_seeded_in_range_and_scales_with_alpha(X):
    a = random_elastic(X[:, :200], np.random.default_rng(5))
    b = random_elastic(X[:, :200], np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and a.min() >= 0 and a.max() <= 1
    np.testing.assert_allclose(random_elastic(X[:, :20], np.random.default_rng(5), alpha=0.0),
                               X[:, :20], atol=1e-6)
    small = np.abs(random_elastic(X[:, :200], np.random.default_rng(5), alpha=8.0) - X[:, :200]).mean()
    big = np.abs(a - X[:, :200]).mean()
    assert 0.005 < small < big
    # a warp moves ink, it does not make it: total ink changes by a few % at most
    np.testing.assert_allclose(np.median(a.sum(axis=0) / X[:, :200].sum(axis=0)), 1.0, atol=0.05)


# ---------------------------------------------------------------- pen along the stroke

def test_stroke_per_pixel_amounts_follow_the_map():
    """Amount 1 on the left half, 0 on the right: only the left bar is dilated."""
    img = np.zeros((28, 28), dtype=np.float32)
    img[5:20, 6] = 1.0
    img[5:20, 20] = 1.0
    amount = np.zeros((28, 28))
    amount[:, :14] = 1.0
    out = stroke(img.reshape(784, 1), amount.reshape(784, 1)).reshape(28, 28)
    np.testing.assert_array_equal(out[:, 14:], img[:, 14:])
    np.testing.assert_array_equal(out[10, 4:9], [0, 1, 1, 1, 0])


def test_stroke_amount_two_is_a_5x5_max():
    img = np.zeros((784, 1), dtype=np.float32)
    img[28 * 14 + 14] = 1.0
    assert stroke(img, 2.0).reshape(28, 28)[12:17, 12:17].min() == 1.0
    assert stroke(img, 2.0).sum() == 25.0


def test_random_pen_varies_along_the_stroke_and_zero_is_identity(X):
    rng = np.random.default_rng(2)
    np.testing.assert_array_equal(random_pen(X[:, :20], rng, width=(0.0, 0.0), vary=0.0), X[:, :20])
    # one long horizontal bar: with vary > 0 its thickness differs along its length
    bar = np.zeros((28, 28), dtype=np.float32)
    bar[14, 2:26] = 1.0
    out = random_pen(np.repeat(bar.reshape(784, 1), 50, axis=1), np.random.default_rng(3),
                     width=(0.5, 0.5), vary=0.6).T.reshape(50, 28, 28)
    thickness = out[:, :, 4:24].sum(axis=1)               # (50, 20) ink per column
    assert np.median(thickness.std(axis=1)) > 0.1
    a, b = random_pen(X[:, :50], np.random.default_rng(9)), random_pen(X[:, :50], np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)
    assert a.min() >= 0 and a.max() <= 1


# ---------------------------------------------------------------- erasing

def test_erase_removes_a_disc_only():
    img = np.ones((784, 1), dtype=np.float32)
    out = erase(img, np.array([10.0]), np.array([12.0]), 3.0).reshape(28, 28)
    assert out[10, 12] == 0.0 and out[10, 14] == 0.0         # inside radius - 1
    assert out[12, 14] == pytest.approx(1.0 - (3.0 - np.sqrt(8.0)), abs=1e-6)   # the fading ring
    assert out[10, 16] == 1.0 and out[0, 0] == 1.0
    np.testing.assert_array_equal(erase(img, np.array([10.0]), np.array([12.0]), 0.0), img)


def test_random_erase_hits_ink_and_p_zero_is_identity(X):
    np.testing.assert_array_equal(random_erase(X[:, :50], np.random.default_rng(0), p=0.0), X[:, :50])
    out = random_erase(X[:, :300], np.random.default_rng(0), p=1.0)
    lost = X[:, :300].sum(axis=0) - out.sum(axis=0)
    assert np.all(lost > 0.5), "the gap falls on the stroke, every time"
    assert np.all(out <= X[:, :300] + 1e-7)


# ---------------------------------------------------------------- coarse grids

def test_coarse_full_grid_no_pen_is_identity_up_to_peak(X):
    x = X[:, :30] / X[:, :30].max(axis=0)                  # coarse rescales the peak to 1
    np.testing.assert_allclose(coarse(x, 28, 0.0), x, atol=1e-5)


def test_coarse_is_blocky_and_thicker(X):
    x = X[:, :50]
    out = coarse(x, 14, 0.5)
    img = out.T.reshape(50, 28, 28)
    np.testing.assert_array_equal(img[:, ::2], img[:, 1::2])       # 2x2 blocks: 14 -> 28
    np.testing.assert_array_equal(img[:, :, ::2], img[:, :, 1::2])
    assert np.median((out > 0.5).sum(axis=0) / (x > 0.5).sum(axis=0)) > 1.3
    with pytest.raises(ValueError, match=r"n must lie in \[1, 28\]"):
        coarse(x, 0)


def test_random_coarse_only_touches_chosen_images(X):
    np.testing.assert_array_equal(random_coarse(X[:, :40], np.random.default_rng(0), p=0.0), X[:, :40])
    out = random_coarse(X[:, :200], np.random.default_rng(1), p=0.5)
    changed = np.abs(out - X[:, :200]).max(axis=0) > 1e-6
    assert 60 < changed.sum() < 140


# ---------------------------------------------------------------- writers (the shipped recipe)

def test_writers_is_seeded_in_range_and_changes_every_image(X, mnist_test_slice):
    a = writers(X[:, :256], np.random.default_rng(4))
    np.testing.assert_array_equal(a, writers(X[:, :256], np.random.default_rng(4)))
    assert a.shape == (784, 256) and a.dtype == np.float32 and a.min() >= 0 and a.max() <= 1
    assert np.all(np.abs(a - X[:, :256]).max(axis=0) > 0.05)
    assert set(AUGMENTATIONS) == {"affine", "elastic", "writers"}
    y = mnist_test_slice[1][:256]
    with_labels = writers(X[:, :256], np.random.default_rng(4), y)
    assert with_labels.shape == (784, 256) and not np.array_equal(with_labels, a)
    np.testing.assert_array_equal(AUGMENTATIONS["affine"](X[:, :50], np.random.default_rng(1), y[:50]),
                                  random_affine(X[:, :50], np.random.default_rng(1)))


# ---------------------------------------------------------------- 1s with a flag and a base

def test_segment_is_the_pads_brush():
    from fnnapp.views.canvas import paint
    ink = segment(np.array([5.0]), np.array([6.0]), np.array([20.0]), np.array([15.0]), np.array([1.6]))
    pad = paint(np.zeros((28, 28), np.float32), 6.5, 5.5, 1.6, prev=(15.5, 20.5), adapt=False)  # centres +0.5
    np.testing.assert_allclose(ink.reshape(28, 28), pad, atol=1e-5)


def test_flag_ones_adds_ink_to_chosen_ones_only(X, mnist_test_slice):
    y = mnist_test_slice[1][:600]
    out = flag_ones(X, y, np.random.default_rng(0), p=1.0, base=1.0)
    added = (out - X).sum(axis=0)
    assert np.all(out >= X) and out.max() <= 1
    assert np.all(added[y != 1] == 0)
    assert np.median(added[y == 1]) > 3.0
    # without bases, the new ink is a flag hanging from the top: all of it above the middle
    flags = flag_ones(X, y, np.random.default_rng(0), p=1.0, base=0.0)
    img = (flags - X)[:, y == 1].T.reshape(-1, 28, 28)
    assert img[:, :14].sum() / img.sum() > 0.9
    assert (out - X).sum() > (flags - X).sum() * 1.3           # the bases add their own ink
    np.testing.assert_array_equal(flag_ones(X, y, np.random.default_rng(0), p=0.0), X)
