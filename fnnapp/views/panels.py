"""Panels and bars: the pad's prediction column, reusable by any view that shows numbers."""
import pygame

from fnnapp.views.theme import ACCENT, BAR, BAR_BG, FG, MUTED, text


def share(v):
    """A probability as the pad writes it everywhere, headline and bars alike: 0.997 -> "99.7%"."""
    return f"{v:.1%}"


def panel(surface, rect, title, fonts):
    """A titled area: the title at rect's top left; returns the Rect below it for the content."""
    r = text(surface, fonts["small"], title, rect.topleft, MUTED)
    top = r.bottom + 6
    return pygame.Rect(rect.x, top, rect.w, rect.bottom - top)


def bars(surface, rect, values, fonts, labels, highlight=None):
    """One horizontal bar a value in [0, 1], a row each, filling rect: its label at the left,
    its value in percent at the right, the `highlight` row in the accent colour. values=None
    draws the empty bars (nothing to show yet)."""
    row = rect.h // len(labels)
    bar_x, bar_w = rect.x + 26, rect.w - 90
    for i, label in enumerate(labels):
        y, hot = rect.y + i * row, i == highlight
        text(surface, fonts["text"], label, (rect.x + 4, y + 3), FG if hot else MUTED)
        pygame.draw.rect(surface, BAR_BG, (bar_x, y + 3, bar_w, row - 7))
        if values is not None:
            v = min(max(float(values[i]), 0.0), 1.0)
            pygame.draw.rect(surface, ACCENT if hot else BAR, (bar_x, y + 3, round(v * bar_w), row - 7))
            text(surface, fonts["small"], share(v), (bar_x + bar_w + 8, y + 5), FG if hot else MUTED)
