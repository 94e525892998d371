"""ui: the chart (ticks, where points land, drawing inside its Rect only), the running mean
and the training-curve figure, drawn headless on pygame Surfaces."""
import numpy as np
import pygame
import pytest

from fnnapp.views.chart import Series, chart, ticks
from fnnapp.views.curves import curve_figure, smooth, training_curves
from fnnapp.views.theme import DARK, make_fonts

MAGENTA, RED, GREEN = (255, 0, 255), (250, 0, 0), (0, 200, 0)


def pixels(surface):
    return pygame.surfarray.array3d(surface)                         # (W, H, 3)


def where(img, color):
    return (img == color).all(axis=-1)


@pytest.mark.parametrize("lo, hi", [(0, 6300), (0.95, 1.0), (-3, 7), (0, 1), (1e-3, 2e-3)])
def test_ticks_are_round_and_cover_the_range(lo, hi):
    values, step = ticks(lo, hi)
    mantissa = step / 10 ** np.floor(np.log10(step))
    assert min(abs(mantissa - m) for m in (1, 2, 5)) < 1e-9, step
    assert 3 <= len(values) <= 13
    assert values[0] >= lo - 1e-9 and values[0] < lo + step and values[-1] > hi - step
    assert np.allclose(np.round(np.array(values) / step) * step, values)
    assert all(np.copysign(1, v) > 0 for v in values if v == 0), "no -0 label"


def test_chart_puts_points_where_they_belong_and_stays_in_its_rect():
    fonts = make_fonts()
    surface = pygame.Surface((600, 420))
    surface.fill(MAGENTA)
    rect = pygame.Rect(50, 40, 420, 300)
    series = [Series([0, 10], [0.5, 0.5], RED, 3),
              Series([0, 5, 10], [3.0, np.nan, 3.0], RED, 3),        # off the chart, with a NaN
              Series([5], [0.25], GREEN, dots=True, label="a dot")]
    plot = chart(surface, rect, series, fonts, xlim=(0, 10), ylim=(0, 1), xlabel="x", ylabel="y")
    img = pixels(surface)
    outside = np.ones(img.shape[:2], bool)
    outside[rect.left:rect.right, rect.top:rect.bottom] = False
    assert where(img, MAGENTA)[outside].all() and not where(img, MAGENTA)[~outside].any()
    assert rect.contains(plot) and plot.w > rect.w // 2 and plot.h > rect.h // 2
    red = where(img, RED)
    rows = np.nonzero(red[plot.centerx])[0]
    assert rows.size and abs(rows.mean() - (plot.bottom - 0.5 * plot.h)) <= 1.5
    assert red[plot.left + 2:plot.right - 2].sum(axis=1).min() >= 2, "a line across the plot"
    assert not red[:, :plot.top].any(), "the line above the range is clipped to the plot"
    x, y = plot.x + 0.5 * plot.w, plot.bottom - 0.25 * plot.h
    assert where(img, GREEN)[round(x), round(y)]


def test_log_chart_spaces_decades_evenly():
    fonts = make_fonts()
    surface = pygame.Surface((500, 400))
    plot = chart(surface, surface.get_rect(), [Series([0, 1], [0.1, 0.1], RED, 1)], fonts,
                 xlim=(0, 1), ylim=(0.01, 1), log=True, legend=None, palette=DARK)
    rows = np.nonzero(where(pixels(surface), RED)[plot.centerx])[0]
    assert rows.size and abs(rows.mean() - plot.centery) <= 1.5


def test_smooth_is_the_running_mean_of_the_last_k():
    v = np.random.default_rng(0).standard_normal(30)
    expected = [v[max(0, i - 4):i + 1].mean() for i in range(30)]
    np.testing.assert_allclose(smooth(v, 5), expected)


def test_training_curves_draw_from_one_point_to_many():
    n = 2000
    it = np.arange(1, n + 1)
    loss = 2.3 * np.exp(-it / 200) + 0.05
    history = {"iteration": it, "loss": loss, "acc": 1 - loss / 3, "val": [(1000, 0.97), (2000, 0.98)]}
    assert curve_figure(history, "title " * 40, "subtitle").get_size() == (1000, 720)
    one = {"iteration": [1], "loss": [2.3], "acc": [0.1], "val": []}
    surface = pygame.Surface((700, 500))
    surface.fill(MAGENTA)
    rect = pygame.Rect(20, 30, 600, 440)
    training_curves(surface, rect, one, make_fonts())
    magenta = where(pixels(surface), MAGENTA)
    inside = np.zeros_like(magenta)
    inside[rect.left:rect.right, rect.top:rect.bottom] = True
    assert magenta[~inside].all() and not magenta[inside].any(), "all of rect, nothing else"


# ---- text a learner reads at arm's length ----------------------------------------------------

def test_contrast_is_the_wcag_ratio():
    from fnnapp.views.theme import contrast
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)   # WCAG's grey
    assert contrast((30, 90, 200), (30, 90, 200)) == 1.0


def test_every_font_is_large_and_every_text_colour_contrasts():
    from fnnapp.views import lab, theme
    from fnnapp.views.tiles import heat
    assert min(f.get_height() for f in make_fonts().values()) >= theme.MIN_TEXT_PX >= 14
    assert theme.fit_font("x" * 400, 50).get_height() >= theme.MIN_TEXT_PX      # the smallest fit
    on_dark = [theme.FG, theme.MUTED, theme.ACCENT, lab.RIGHT, lab.WRONG, lab.COMPARE, *lab.LAYER_COLORS]
    ratios = [theme.contrast(c, theme.BG) for c in on_dark]
    assert min(ratios) >= 4.5, dict(zip(map(str, on_dark), ratios))
    assert theme.contrast(theme.MUTED, theme.BG) >= 7                          # the key hints
    assert theme.contrast(theme.LIGHT["ink"], theme.LIGHT["bg"]) >= 7            # the curve PNG
    cells = [tuple(int(v) for v in heat(np.array(r))) for r in np.linspace(0, 1, 101)]
    assert min(theme.contrast(theme.readable_on(c), c) for c in cells) >= 4.5   # counts in the matrix


def test_the_errors_png_has_no_click_hint_and_the_window_has():
    from fnnapp.views import lab
    rng = np.random.default_rng(0)
    C = rng.integers(0, 50, (10, 10))
    y = rng.integers(0, 10, 40)
    probs = rng.dirichlet(np.ones(10), 40).T
    X = rng.random((784, 40))
    png = pixels(lab.errors_figure(C, X, y, probs, "t"))
    surface = pygame.Surface((1280, 760))
    lab.errors_view(surface, C, X, y, probs, make_fonts(), "t", keys="Esc: quit")
    window = pixels(surface)
    hint = (slice(0, 600), slice(760 - 30, 760))
    assert (png[hint] == lab.BG).all() and not (window[hint] == lab.BG).all()


def test_numbers_in_words():
    from fnnapp.cli.words import count
    from fnnapp.views.curves import mean_label
    from fnnapp.views.panels import share
    assert [count(1, "image"), count(2, "image"), count(10000, "test image")] == \
        ["1 image", "2 images", "10,000 test images"]
    assert mean_label(1) == "" and mean_label(50) == "mean of the last 50 batches"
    assert share(0.9974) == "99.7%" and share(0.99996) == "100.0%" and share(0.0004) == "0.0%"
