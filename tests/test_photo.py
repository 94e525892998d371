"""fnn.digits.photo: a digit photographed on paper under uneven light, ruled lines and all,
becomes ink where the digit is, and nothing else; an evenly lit scan reads as before."""
import tracemalloc

import numpy as np
import pygame
import pytest

from fnn.digits.photo import (dark_ink, evenly_lit, label, max_filter, otsu, photo_to_ink,
                              remove_lines)
from fnn.digits.preprocess import to_ink
from fnnapp.views import inputs

H, W = 360, 480
SEVEN = [(190, 110), (300, 110), (225, 270)]              # a 7 in the middle: x, y pixels


def paper(rng, digit=True, lines=True):
    """(H, W, 3) uint8: grey-white paper, dark corners, light from the left, a shadow edge
    across the lower right, blue ruled lines every 30 px, noise; a thick dark-blue 7 on it."""
    yy, xx = np.mgrid[0:H, 0:W].astype(float)
    page = np.ones((H, W))
    if lines:
        page[(yy.astype(int) % 30) < 2] = 0.7
    if digit:
        surf = pygame.Surface((W, H))
        pygame.draw.lines(surf, (255, 255, 255), False, SEVEN, 14)
        page = page * (1 - 0.85 * pygame.surfarray.array_red(surf).T / 255)
    light = 0.9 - 0.35 * (((yy - H / 2) / H) ** 2 + ((xx - W / 2) / W) ** 2) * 2 - 0.15 * xx / W
    light = light * np.where(xx + yy > 560, 0.55, 1.0)                 # the shadow edge
    rgb = page[..., None] * light[..., None] * np.array([0.95, 0.95, 1.0])
    rgb = rgb + rng.normal(0, 0.02, rgb.shape)
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def box(ink, threshold=0.3):
    ys, xs = np.nonzero(ink > threshold)
    return ys.min(), ys.max(), xs.min(), xs.max()


def test_the_old_reading_fails_on_this_photo():
    """The border-median rule: dark corners and the shadow make paper ink (or lose the ink),
    so the test photo really is one the old to_ink cannot read."""
    ink = to_ink(paper(np.random.default_rng(0)))
    assert (ink > 0.3).mean() > 0.2 or (ink > 0.3).sum() == 0


def test_photo_ink_is_the_digit_and_nothing_else():
    rgb = paper(np.random.default_rng(0))
    ink = photo_to_ink(rgb)
    assert ink.shape == (H, W) and not evenly_lit(rgb)
    top, bottom, left, right = box(ink)
    assert abs(top - 110) <= 10 and abs(bottom - 270) <= 10          # the 7, lines gone
    assert abs(left - 190) <= 10 and abs(right - 300) <= 10
    assert ink[110, 240] > 0.8 and ink[200, 400] == 0 and ink[60, 60] == 0


def test_ruled_lines_are_removed_and_strokes_crossing_them_stay():
    mask = np.zeros((200, 300), bool)
    mask[40:42, :] = mask[100:102, 5:290] = True                     # two ruled lines
    mask[20:180, 150:158] = True                                      # a stroke across them
    out = remove_lines(mask)
    assert not out[40:42, :140].any() and not out[100:102, 170:].any()
    assert out[20:180, 150:158].all()


def test_blank_photo_says_blank(tmp_path):
    rgb = paper(np.random.default_rng(1), digit=False)
    assert not (photo_to_ink(rgb) > 0.05).any()
    png = tmp_path / "blank.png"
    pygame.image.save(pygame.surfarray.make_surface(rgb.transpose(1, 0, 2)), str(png))
    with pytest.raises(inputs.AppError, match="blank"):
        inputs.classify_image(None, png)


def test_evenly_lit_scans_read_exactly_as_before(mnist_test_slice):
    X, _ = mnist_test_slice
    for j in range(5):
        g = np.kron((X[:, j].reshape(28, 28) * 255).astype(np.uint8), np.ones((3, 3), np.uint8))
        for img in (g, 255 - g, np.repeat((255 - g)[..., None], 3, axis=2)):
            assert evenly_lit(img)
            np.testing.assert_array_equal(photo_to_ink(img), to_ink(img))


def test_polarity_follows_the_ink_not_the_shadow():
    rgb = paper(np.random.default_rng(2), lines=False)
    v = rgb.mean(axis=2) / 255
    assert dark_ink(v) and not dark_ink(1 - v)


def test_large_photo_uses_bounded_memory():
    big = np.full((2400, 3200, 3), 210, np.uint8)                  # 23 MB of pixels
    big[:, :1600] = 150                                             # a shadow over half
    big[800:1600, 1500:1700] = 30                                   # a stroke: a 1
    tracemalloc.start()
    try:
        ink = photo_to_ink(big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert max(ink.shape) <= 480 and ink.max() == 1.0
    assert peak < 0.6 * big.nbytes, peak


def test_helpers_label_filter_and_threshold():
    m = np.zeros((9, 12), bool)
    m[1, 1:5] = m[2, 4] = True                                       # one bent piece
    m[6:8, 8:11] = True                                              # another
    lab = label(m)
    assert lab.max() == 2 and len(set(lab[m])) == 2 and lab[1, 1] == lab[2, 4]
    a = np.array([0, 0, 5, 0, 0, 0, 0, 1.0])
    np.testing.assert_array_equal(max_filter(a, 3, 0), [0, 5, 5, 5, 0, 0, 1, 1])
    t = np.concatenate([np.full(900, 0.1), np.full(100, 0.8)])
    assert 0.1 < otsu(t) <= 0.8
