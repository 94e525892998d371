"""Image tiles: arrays (a 28x28 digit, a feature map, a row of W1) drawn as coloured squares.

A colour map turns an (h, w) array into (h, w, 3) uint8 RGB; tile() scales it (nearest
neighbour, so each value stays a crisp square) into a Rect of a surface.
"""
import numpy as np
import pygame


def gray(v):
    """Values in [0, 1] -> (..., 3) uint8, black to white."""
    g = (np.clip(v, 0.0, 1.0) * 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=-1)


_HEAT = np.array([[26, 28, 36], [150, 60, 40], [255, 176, 64], [255, 244, 200]], np.float32)


def heat(v):
    """Values in [0, 1] -> (..., 3) uint8: dark, red, orange, pale yellow (piecewise linear)."""
    v = np.clip(v, 0.0, 1.0) * (len(_HEAT) - 1)
    i = np.minimum(v.astype(int), len(_HEAT) - 2)
    f = (v - i)[..., None]
    return (_HEAT[i] * (1 - f) + _HEAT[i + 1] * f).astype(np.uint8)


def diverging(w):
    """Signed values -> (..., 3) uint8: blue negative, black 0, orange positive, scaled by max |w|."""
    w = w / (np.abs(w).max() + 1e-12)
    pos, neg = np.clip(w, 0, 1)[..., None], np.clip(-w, 0, 1)[..., None]
    return (pos * np.array([255, 170, 60]) + neg * np.array([80, 150, 255])).astype(np.uint8)


def per_map(maps):
    """Each map of (k, h, w) divided by its own max |value| (an all-zero map stays 0): no map
    is dimmed by a brighter neighbour."""
    maps = np.asarray(maps, np.float32)
    return maps / (np.abs(maps).max(axis=(1, 2), keepdims=True) + 1e-12)


def tile(surface, rect, values, cmap=gray):
    """Draw the (h, w) array `values` through `cmap`, scaled to fill rect."""
    rgb = np.ascontiguousarray(cmap(np.asarray(values)).transpose(1, 0, 2))   # pygame is (x, y)
    surface.blit(pygame.transform.scale(pygame.surfarray.make_surface(rgb), rect.size), rect)


def tile_grid(surface, rect, images, cmap=gray, cols=None, gap=4, largest=56):
    """Images (k, h, w) as square tiles, row by row, `cols` a row (default: a square-ish grid),
    each as large as fits in rect (at most `largest` px). Returns the tiles' Rects."""
    k = len(images)
    cols = cols or int(np.ceil(np.sqrt(k)))
    rows = int(np.ceil(k / cols))
    side = max(1, min(largest, (rect.w + gap) // cols - gap, (rect.h + gap) // rows - gap))
    rects = [pygame.Rect(rect.x + (i % cols) * (side + gap), rect.y + (i // cols) * (side + gap),
                         side, side) for i in range(k)]
    for r, img in zip(rects, images):
        tile(surface, r, img, cmap)
    return rects
