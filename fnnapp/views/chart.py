"""A chart of several series (lines or dots) with axes, ticks and labels, drawn into a Rect.

train.py's PNG and a live view use the same function: chart(surface, rect, series, fonts)
draws everything inside `rect` (tick labels and axis labels included) and nothing outside it,
so a window can redraw one chart in place as new points arrive.
"""
from typing import NamedTuple

import numpy as np
import pygame

from fnn.io.files import shown
from fnnapp.views.theme import LIGHT, text


class Series(NamedTuple):
    """One series: x and y values (same length), its colour, a line `width` in px, a legend
    `label` ("" for none), and dots=True for a dot at each point instead of a line."""
    x: object
    y: object
    color: tuple
    width: int = 1
    label: str = ""
    dots: bool = False


def ticks(lo, hi, n=6):
    """About n round tick values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi],
    and the step."""
    raw = max(hi - lo, 1e-12) / n
    mag = 10 ** np.floor(np.log10(raw))
    step = next(s * mag for s in (1, 2, 5, 10) if s * mag >= raw)
    first = np.ceil(lo / step - 1e-9) * step
    return [float(v) + 0.0 for v in np.arange(first, hi + step * 1e-6, step)], float(step)   # no -0


def _limits(values, log):
    """(lo, hi) of the finite values, whole decades on a log axis; (0, 1) when there are none."""
    v = np.concatenate([np.ravel(np.asarray(a, np.float64)) for a in values] or [np.zeros(0)])
    v = v[np.isfinite(v) & ((v > 0) if log else True)]
    if v.size == 0:
        return (0.1, 1.0) if log else (0.0, 1.0)
    lo, hi = float(v.min()), float(v.max())
    if log:
        return 10.0 ** np.floor(np.log10(lo)), 10.0 ** max(np.ceil(np.log10(hi)), np.floor(np.log10(lo)) + 1)
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def chart(surface, rect, series, fonts, xlim=None, ylim=None, log=False, xlabel="", ylabel="",
          legend="topright", palette=LIGHT):
    """Draw `series` (Series) into rect of surface and return the plot area's Rect.

    Data (x, y) lands at  px = plot.x + (x - x0) / (x1 - x0) * plot.w,
                          py = plot.bottom - (f(y) - f(y0)) / (f(y1) - f(y0)) * plot.h,
    f = log10 on a log axis (grid lines at the powers of ten, faint ones at 2x and 5x), else the
    identity. xlim, ylim = (x0, x1), (y0, y1) default to the data's range. Lines are clipped to
    the plot area; non-finite points are left out. legend: "topright", "bottomright" or None.
    fonts: "small" for ticks and the legend, "text" for the axis labels (theme.make_fonts)."""
    small, font = fonts["small"], fonts["text"]
    x0, x1 = xlim or _limits([s.x for s in series], False)
    y0, y1 = ylim or _limits([s.y for s in series], log)
    f = (lambda v: np.log10(np.maximum(np.asarray(v, np.float64), 1e-300))) if log else \
        (lambda v: np.asarray(v, np.float64))
    if log:
        yt = [10.0 ** e for e in range(int(np.ceil(np.log10(y0) - 1e-9)), int(np.floor(np.log10(y1) + 1e-9)) + 1)]
        ylabels = [f"{v:g}" for v in yt]
    else:
        yt, ystep = ticks(y0, y1, 5)
        decimals = max(0, -int(np.floor(np.log10(ystep))))
        ylabels = [f"{v:.{decimals}f}" for v in yt]
    left = font.get_height() + 16 + max(small.size(s)[0] for s in ylabels)
    bottom = small.get_height() + 8 + (font.get_height() + 4 if xlabel else 0)
    plot = pygame.Rect(rect.x + left, rect.y + small.get_height() // 2,
                       rect.w - left - 24, rect.h - bottom - small.get_height() // 2)
    X = lambda v: plot.x + (np.asarray(v, np.float64) - x0) / (x1 - x0) * plot.w
    Y = lambda v: plot.bottom - (f(v) - f(y0)) / (f(y1) - f(y0)) * plot.h

    surface.fill(palette["bg"], rect)
    if log:
        for e in range(int(np.floor(np.log10(y0))), int(np.ceil(np.log10(y1)))):
            for v in (2 * 10.0 ** e, 5 * 10.0 ** e):
                if y0 < v < y1:
                    pygame.draw.line(surface, palette["minor"], (plot.x, Y(v)), (plot.right, Y(v)))
    for v, s in zip(yt, ylabels):
        pygame.draw.line(surface, palette["grid"], (plot.x, Y(v)), (plot.right - 1, Y(v)))
        text(surface, small, s, (plot.x - 8, Y(v)), palette["ink"], "midright")
    for v in ticks(x0, x1)[0]:
        pygame.draw.line(surface, palette["grid"], (X(v), plot.y), (X(v), plot.bottom - 1))
        text(surface, small, f"{v:g}", (X(v), plot.bottom + 6), palette["ink"], "midtop")

    clip = surface.get_clip()
    surface.set_clip(plot.clip(clip))                  # a curve leaving the range leaves the plot
    for s in series:
        px, py = X(s.x), Y(s.y)
        ok = np.isfinite(px) & np.isfinite(py)
        pts = np.column_stack([np.clip(px[ok], plot.x - 10, plot.right + 10),
                               np.clip(py[ok], plot.y - 10, plot.bottom + 10)])
        if s.dots:
            for p in pts:
                pygame.draw.circle(surface, s.color, p, 5)
        elif len(pts) > 1:
            pygame.draw.lines(surface, s.color, False, pts.tolist(), s.width)
    surface.set_clip(clip)
    pygame.draw.rect(surface, palette["ink"], plot, 1)
    if ylabel:
        text(surface, font, ylabel, (rect.x + 2, plot.centery), palette["ink"], "midleft", 90)
    if xlabel:
        text(surface, font, xlabel, (plot.centerx, rect.bottom), palette["ink"], "midbottom")
    if legend:
        _legend(surface, plot, [s for s in series if s.label], small, palette, legend)
    return plot


def _legend(surface, plot, series, font, palette, corner):
    """One row a labelled series (a line sample or a dot, then its label) in a corner of plot."""
    row = font.get_height() + 4
    width = 38 + max((font.size(shown(s.label))[0] for s in series), default=0)
    x = plot.right - width - 12
    y = plot.y + 14 if corner == "topright" else plot.bottom - 12 - row * len(series)
    for i, s in enumerate(series):
        cy = y + i * row + row // 2
        if s.dots:
            pygame.draw.circle(surface, s.color, (x + 15, cy), 5)
        else:
            pygame.draw.line(surface, s.color, (x, cy), (x + 30, cy), 3)
        text(surface, font, s.label, (x + 38, cy), palette["ink"], "midleft")
