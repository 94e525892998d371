"""The pad's canvas: a (28, 28) float32 array of ink in [0, 1] and the soft brush that paints it."""
import numpy as np

from fnn.digits.preprocess import INK_THRESHOLD

GRID = 28                        # the canvas is GRID x GRID cells, like an MNIST digit
BRUSH_RADIUS = 1.6               # cells; full ink within radius - 1, fading to 0 at radius
ERASER_RADIUS = 2.4
FULL_SIZE = 14.0                 # cells: a drawing at least this large gets the whole brush
MIN_SCALE = 0.8                  # the brush of a drawing under 11.2 cells, a fraction of the whole

_CENTRES = np.mgrid[0:GRID, 0:GRID].astype(np.float32) + 0.5     # (2, 28, 28): cell centres (y, x)


def sized_radius(canvas, radius, points=()):
    """The brush for a drawing of its size: radius * clip(s / FULL_SIZE, MIN_SCALE, 1), s the
    longer side (cells) of the box around the canvas's ink and the cells of `points` ((x, y)
    in cells); MIN_SCALE when there is neither. A small digit keeps its holes: a whole brush
    would fill a small 9's head."""
    ink = canvas > INK_THRESHOLD
    rows = np.flatnonzero(ink.any(axis=1)).tolist() + [int(np.floor(y)) for _, y in points]
    cols = np.flatnonzero(ink.any(axis=0)).tolist() + [int(np.floor(x)) for x, _ in points]
    s = max(max(rows) - min(rows), max(cols) - min(cols)) + 1 if rows else 0
    return radius * min(max(s / FULL_SIZE, MIN_SCALE), 1.0)


def grow(canvas, delta):
    """The ink as a brush `delta` (< 1) cells wider would have laid it: where f = r - d, the
    wider brush gives r + delta - d = max over the 3 x 3 neighbours q with ink of
    f(q) + delta - |c - q| (d is 1-Lipschitz). -> new float32 (28, 28) in [0, 1]."""
    P = np.pad(canvas, 1)
    out = canvas.copy()
    for dy in range(3):                                   # the 9 neighbours, not cells
        for dx in range(3):
            q = P[dy:dy + GRID, dx:dx + GRID]
            out = np.maximum(out, np.where(q > 0, q + delta - np.hypot(dy - 1, dx - 1), 0.0))
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def paint(canvas, x, y, radius=BRUSH_RADIUS, erase=False, prev=None, adapt=True):
    """A soft brush stroke from `prev` (x0, y0) to (x, y), in cells (cell [i, j] covers x in
    [j, j+1), y in [i, i+1)); a single dab when prev is None. Each cell receives the ink

        f = clip(r - d, 0, 1),   d = distance from the cell's centre to the segment,

    so strokes have MNIST's anti-aliased grey edges, and a fast stroke stays continuous.
    Painting keeps the darker value, max(canvas, f); erasing takes canvas * (1 - f).
    The brush follows the drawing's size (adapt): with r(.) = sized_radius, the ink there was
    laid with r(canvas); the segment is painted with r0 = r(canvas and the segment's ends),
    the ink already there first grown by r0 - r(canvas) (grow); if the new ink's spread made
    the drawing larger still, r1 = r(new) > r0, all of it grows by r1 - r0. So every stroke
    keeps the width of the drawing's current size. adapt=False: r = radius.
    Returns a new float32 (28, 28) array; `canvas` is not modified."""
    if adapt and not erase:
        was = sized_radius(canvas, radius)
        r0 = sized_radius(canvas, radius, [(x, y)] if prev is None else [(x, y), prev])
        if r0 > was and not is_empty(canvas):
            canvas = grow(canvas, r0 - was)
        out = paint(canvas, x, y, r0, prev=prev, adapt=False)
        r1 = sized_radius(out, radius)
        return grow(out, r1 - r0) if r1 > r0 else out
    x0, y0 = (x, y) if prev is None else prev
    cy, cx = _CENTRES
    ux, uy = x - x0, y - y0
    L2 = ux * ux + uy * uy
    # t: position along the segment of the point closest to each centre, clamped to [0, 1]
    t = np.clip(((cx - x0) * ux + (cy - y0) * uy) / L2, 0.0, 1.0) if L2 > 0 else 0.0
    d = np.hypot(cx - (x0 + t * ux), cy - (y0 + t * uy))
    f = np.clip(radius - d, 0.0, 1.0)
    out = canvas * (1.0 - f) if erase else np.maximum(canvas, f)
    return out.astype(np.float32, copy=False)


def is_empty(canvas):
    """True when nothing is drawn (mnistify's ink threshold: no cell above INK_THRESHOLD)."""
    return not (np.asarray(canvas) > INK_THRESHOLD).any()


def draw_strokes(canvas, strokes, radius=BRUSH_RADIUS, adapt=True):
    """Paint each polyline (k, 2) of (x, y) cell coordinates, segment by segment."""
    for s in strokes:
        prev = None
        for x, y in s:
            canvas = paint(canvas, float(x), float(y), radius, prev=prev, adapt=adapt)
            prev = (float(x), float(y))
    return canvas


def demo_strokes(digit=3):
    """Polylines of (x, y) in cells: a hand-drawn-looking 3 (two arcs, a little left of centre);
    (digit=0) a slanted zero with a slash through it, which the MLP reads as an 8; (digit=1) a
    1 with a long, nearly flat flag from high on the left, which both shipped models read as 7."""
    def arc(cx, cy, rx, ry, a0, a1, k=16):
        a = np.deg2rad(np.linspace(a0, a1, k))
        return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], axis=1)
    if digit == 3:
        return [arc(11.0, 9.2, 4.2, 4.2, -160, 92), arc(11.4, 17.4, 4.6, 4.6, -92, 160)]
    if digit == 1:
        return [np.array([(8.0, 8.5), (16.5, 5.0), (16.0, 23.0)])]
    slant = np.array([[1.0, 0.0], [-0.5, 1.0]])                  # x -= 0.5 (y - 14)
    strokes = [arc(14, 14, 3.5, 7.5, -80, 290, 24), np.array([(19.5, 6), (14, 14), (8.5, 22)])]
    return [(s - 14) @ slant + 14 for s in strokes]
