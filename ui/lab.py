"""The training lab: train.py --watch's window, and the picture of a model's mistakes.

    watch = Watch(layers, history, ...)           # opens the window
    for rec in fit(...): reply = watch.see(rec)   # train.py sends reply back into fit
    watch.results(C, X_test, y_test, probs)       # the confusion matrix, until closed

The window only observes: fit runs the training (one loop, fnn.training), see() looks at its
records, redraws at most `fps` times a second, and answers with what the keys asked for
({"lr_factor": 2.0}, {"stats": True}; fit's docstring). Drawing reuses ui.chart, ui.tiles and
ui.theme; errors_figure() draws the same confusion matrix and gallery without a window.
"""
import time

import numpy as np
import pygame

import fnn
from fnn.report import cell_examples, mistakes, per_class_accuracy, top_k
from ui.chart import Series, chart
from ui.curves import smooth
from ui.theme import (ACCENT, BG, BLUE, DARK, FG, GREEN, LIGHT_BLUE, LIGHT_ORANGE, MUTED, ORANGE,
                      fit_font, make_fonts, text)
from ui.tiles import diverging, gray, heat, tile, tile_grid

RIGHT, WRONG = (70, 200, 110), (235, 80, 70)
LAYER_COLORS = [(84, 132, 214), (255, 176, 64), (70, 200, 110), (220, 110, 200), (200, 200, 90)]
COMPARE = (170, 120, 230)
GUIDE = 1e-3                  # the update/weight ratio rule of thumb (CS231n)
MAX_POINTS = 1500             # points a curve draws: more only costs time, not detail
CONTROLS = ("Space pause/resume   N one step (paused)   Up/Down lr x2 / x0.5   "
            "S snapshot   Esc stop (best model saved)")
FAIR = "same seed = same initial weights and batches: a fair comparison of what differs"


def _thin(x, *ys, n=MAX_POINTS):
    """Every k-th point of the series so that at most n are left (the last one kept)."""
    x = np.asarray(x, np.float64)
    k = max(1, -(-x.size // n))
    idx = np.r_[np.arange(0, x.size, k), x.size - 1] if x.size else np.zeros(0, int)
    return [x[idx]] + [np.asarray(y, np.float64)[idx] for y in ys]


# ---- the confusion matrix and the gallery (the window and errors_figure) -------------------

def confusion(surface, rect, C, fonts, selected=None):
    """C (n, n) as cells coloured by the row-normalised C[i, j] / sum_j C[i, j] (ui.tiles.heat),
    each with its count; rows the true digit, columns the prediction, each row's accuracy at
    its right. -> {(i, j): Rect} of the cells (for clicks)."""
    C = np.asarray(C)
    n = C.shape[0]
    R = C / np.maximum(C.sum(axis=1, keepdims=True), 1)
    small, font = fonts["small"], fonts["text"]
    side = max(8, min((rect.w - 110) // n, (rect.h - 60) // n))
    x0, y0 = rect.x + 50, rect.y + 44
    text(surface, font, "predicted digit", (x0 + n * side // 2, rect.y), MUTED, "midtop")
    text(surface, font, "true digit", (rect.x, y0 + n * side // 2), MUTED, "midleft", 90)
    colors = heat(R)
    cells = {}
    for i in range(n):
        text(surface, small, str(i), (x0 - 8, y0 + i * side + side // 2), FG, "midright")
        text(surface, small, str(i), (x0 + i * side + side // 2, y0 - 6), FG, "midbottom")
        acc = per_class_accuracy(C)[i]
        text(surface, small, "n/a" if np.isnan(acc) else f"{acc:.1%}",
             (x0 + n * side + 8, y0 + i * side + side // 2), FG, "midleft")
        for j in range(n):
            r = pygame.Rect(x0 + j * side, y0 + i * side, side - 1, side - 1)
            surface.fill(tuple(int(c) for c in colors[i, j]), r)
            if C[i, j]:
                text(surface, small, str(C[i, j]), r.center, BG if R[i, j] > 0.45 else FG, "center")
            cells[(i, j)] = r
    if selected in cells:
        pygame.draw.rect(surface, ACCENT, cells[selected].inflate(3, 3), 3)
    return cells


def gallery(surface, rect, X, y, probs, idx, fonts, side=56):
    """The test images idx (most confident mistakes first, say) as tiles, each with its true
    label and its top three classes and probabilities. -> how many were drawn."""
    small = fonts["small"]
    line = small.get_height() + 1
    cw, ch = side + 84, max(side, 4 * line) + 10
    cols, rows = max(1, rect.w // cw), max(1, rect.h // ch)
    idx = np.asarray(idx)[:cols * rows]
    classes, p = top_k(probs[:, idx], 3) if idx.size else (None, None)
    for k, j in enumerate(idx):
        x, yy = rect.x + (k % cols) * cw, rect.y + (k // cols) * ch
        r = pygame.Rect(x, yy, side, side)
        tile(surface, r, X[:, j].reshape(28, 28), gray)
        ok = classes[0, k] == y[j]
        pygame.draw.rect(surface, RIGHT if ok else WRONG, r.inflate(4, 4), 2)
        text(surface, small, f"true {y[j]}", (x + side + 8, yy), FG)
        for q in range(3):
            text(surface, small, f"{classes[q, k]}  {p[q, k]:6.1%}", (x + side + 8, yy + (q + 1) * line),
                 ACCENT if q == 0 and not ok else MUTED)
    return int(idx.size)


def errors_view(surface, C, X, y, probs, fonts, title, selected=None):
    """The whole results picture: title, confusion matrix (left), the gallery of the selected
    cell (right; all mistakes when none). -> (cells, the indices the gallery shows)."""
    surface.fill(BG)
    W, H = surface.get_size()
    acc = float(np.trace(C) / max(C.sum(), 1))
    text(surface, fit_font(title, W - 20), title, (W // 2, 8), FG, "midtop")
    text(surface, fonts["text"], f"test accuracy {acc:.2%} on {int(C.sum()):,} images; "
         f"{int(C.sum() - np.trace(C)):,} mistakes", (W // 2, 36), MUTED, "midtop")
    cells = confusion(surface, pygame.Rect(16, 70, 560, H - 90), C, fonts, selected)
    if selected is None:
        idx, what = mistakes(probs, y), "the most confident mistakes"
    else:
        i, j = selected
        idx = cell_examples(probs, y, i, j)
        what = f"true {i}, predicted {j}: {idx.size} images, most confident first"
    text(surface, fonts["text"], what + ("" if idx.size else " (none)"), (600, 70), FG)
    n = gallery(surface, pygame.Rect(600, 100, W - 610, H - 130), X, y, probs, idx, fonts)
    text(surface, fonts["small"], "click a cell of the matrix for its images" if selected is None
         else "click another cell, or outside the matrix for all mistakes", (600, H - 24), MUTED)
    return cells, idx[:n]


def errors_figure(C, X, y, probs, title, file=None, size=(1280, 760)):
    """errors_view on a new Surface (no window needed), saved as PNG to `file` when given."""
    surface = pygame.Surface(size)
    errors_view(surface, C, X, y, probs, make_fonts(), title)
    if file is not None:
        pygame.image.save(surface, file, "png")
    return surface
