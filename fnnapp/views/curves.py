"""The training curves: loss and accuracy over iterations, as train.py saves them next to a model.

history is fit's record: {"iteration": [...], "loss": [...], "acc": [...] (batch accuracy),
"val": [(iteration, validation accuracy), ...]}. training_curves() draws it into any Rect
(a window can redraw it as training goes); curve_figure() is the PNG's whole picture.
"""
import numpy as np
import pygame

from fnnapp.views.chart import Series, chart
from fnnapp.views.theme import BLUE, GREEN, LIGHT, LIGHT_BLUE, LIGHT_ORANGE, ORANGE, fit_font, make_fonts, text


def smooth(v, k):
    """Running mean over the last k values (over fewer at the start):
    s[i] = mean(v[max(0, i - k + 1) : i + 1])."""
    v = np.asarray(v, dtype=np.float64)
    c = np.cumsum(np.insert(v, 0, 0.0))
    i = np.arange(1, v.size + 1)
    return (c[i] - c[np.maximum(i - k, 0)]) / np.minimum(i, k)


def mean_label(k):
    """The legend of a running mean over k batches: words, and none for k = 1 (no mean then)."""
    return f"mean of the last {k} batches" if k > 1 else ""


def training_curves(surface, rect, history, fonts, palette=LIGHT):
    """Loss on a log scale (top half of rect) and accuracy (bottom half) over iterations: each
    batch's value, their running mean, and validation accuracy at each epoch's end.
    The loss axis spans whole decades from the 1st percentile of the loss to the mean's peak;
    the accuracy axis starts at the 0.05 below the lowest mean after the first tenth of training."""
    it = np.asarray(history["iteration"], dtype=np.float64)
    loss, acc = np.asarray(history["loss"], np.float64), np.asarray(history["acc"], np.float64)
    val = history["val"]
    k = max(1, min(50, it.size // 20))
    loss_s, acc_s = smooth(loss, k), smooth(acc, k)
    xlim = (0.0, max(float(it[-1]) if it.size else 1.0, 1.0))

    positive = loss[(loss > 0) & np.isfinite(loss)]
    lmin = float(np.percentile(positive, 1)) if positive.size else 1e-3
    lmax = float(np.nanmax(loss_s)) if positive.size else 1.0
    ylo = 10.0 ** np.floor(np.log10(max(lmin, 1e-8)))
    yhi = 10.0 ** np.ceil(np.log10(max(lmax, ylo * 10)))
    seen = np.concatenate([acc_s[it.size // 10:] if it.size > 10 else acc_s, [v for _, v in val]])
    alo = max(0.0, np.floor(20 * float(np.nanmin(seen)) - 1e-9) / 20) if seen.size else 0.0

    surface.fill(palette["bg"], rect)
    half = rect.h // 2
    chart(surface, pygame.Rect(rect.x, rect.y, rect.w, half - 10),
          [Series(it, loss, LIGHT_BLUE, 1, "batch loss"), Series(it, loss_s, BLUE, 2, mean_label(k))],
          fonts, xlim, (ylo, yhi), log=True, xlabel="iteration", ylabel="loss (log scale)", palette=palette)
    chart(surface, pygame.Rect(rect.x, rect.y + half + 10, rect.w, rect.h - half - 10),
          [Series(it, acc, LIGHT_ORANGE, 1, "batch accuracy"), Series(it, acc_s, ORANGE, 2, mean_label(k)),
           Series([i for i, _ in val], [v for _, v in val], GREEN, label="validation accuracy (each epoch)",
                  dots=True)],
          fonts, xlim, (alo, 1.0), xlabel="iteration", ylabel="accuracy", legend="bottomright",
          palette=palette)


def curve_figure(history, title, subtitle, size=(1000, 720)):
    """The PNG train.py writes: title, subtitle and training_curves() on a new white Surface."""
    surface = pygame.Surface(size)
    surface.fill(LIGHT["bg"])
    fonts = make_fonts()
    W, H = size
    text(surface, fit_font(title, W - 20), title, (W // 2, 10), LIGHT["ink"], "midtop")
    text(surface, fonts["text"], subtitle, (W // 2, 36), LIGHT["ink"], "midtop")
    training_curves(surface, pygame.Rect(10, 62, W - 30, H - 72), history, fonts)
    return surface
