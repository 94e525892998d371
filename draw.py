#!/usr/bin/env python
"""draw.py: a pygame digit pad. Draw a digit, press S, see what the network answers.

    python draw.py                          the pad, with the default model (DEFAULT_MODEL)
    python draw.py --model data/mnist_cnn.npz
    python draw.py --image digit.png        print the prediction for an image file, no window
    python draw.py --screenshot out.png     render the pad with a demo digit to a PNG, no window
    python draw.py --bench                  time drawing one frame (render + flip)

Mouse: left drag paints, right drag erases. Keys: S predict, C or Backspace clear, L live
prediction on/off, Esc quit. Dropping an image file on the window loads and classifies it.

What the network sees is what it was trained on: the pad's 28x28 ink goes through
fnn.preprocess.mnistify (crop to the ink, scale the longer side to 20 px, centre of mass at
the centre), exactly as MNIST was made, so off-centre, small or large drawings are recognised.

Structure (testable without a display): the app state is a plain dict (`new_state`) holding
the 28x28 float32 canvas and the last prediction; pure functions change it:
    paint(canvas, x, y, radius, erase, prev) -> new canvas     (soft anti-aliased brush)
    analyse(model, canvas)  -> probs, preprocessed input and the first hidden layer's output
    handle_event(state, event) -> new state                    (one pygame event)
    render(surface, state, cache)                              (draws one frame)
and `main(argv)` runs the loop at 60 frames a second.
"""
import argparse
import os
import sys
import time

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")   # keep stdout clean for --image

try:                   # Ctrl-C while NumPy and pygame load: one line, no traceback
    import numpy as np     # noqa: E402
    import pygame          # noqa: E402

    import fnn             # noqa: E402
    from fnn import files, image_header                             # noqa: E402
    from fnn.activations import ACTIVATIONS                         # noqa: E402
    from fnn.preprocess import INK_THRESHOLD, even_out_strokes, mnistify, to_ink    # noqa: E402
except KeyboardInterrupt:
    sys.stderr.write("\ndraw.py: interrupted\n")
    sys.exit(130)

HERE = os.path.dirname(os.path.abspath(__file__))
# The model that copes best with how people draw, chosen by benchmarks/robustness.py
# (see docs/robustness.md for the table and the command that trained it).
DEFAULT_MODEL = os.path.join("data", "mnist_cnn.npz")

GRID = 28                        # the canvas is GRID x GRID cells, like an MNIST digit
CELL = 20                        # pixels per cell on screen
FPS = 60
BRUSH_RADIUS = 1.6               # cells; full ink within radius - 1, fading to 0 at radius
ERASER_RADIUS = 2.4
LIVE_INTERVAL = 0.1              # s between live predictions while a stroke is being drawn

MARGIN, TOP = 20, 60
CANVAS = pygame.Rect(MARGIN, TOP, GRID * CELL, GRID * CELL)        # 560 x 560
PANEL_X = CANVAS.right + 36
PANEL_W = 420
WIDTH = PANEL_X + PANEL_W + MARGIN
HEIGHT = CANVAS.bottom + 44

BG = (22, 24, 30)
FG = (232, 234, 240)
MUTED = (140, 146, 160)
GRID_LINE = (44, 47, 58)
ACCENT = (255, 176, 64)
BAR = (84, 132, 214)
BAR_BG = (40, 43, 54)
NOT_FINITE = "the model's output is not finite (its weights overflow)"
SCREENSHOT_TYPES = (".png", ".jpg", ".jpeg", ".bmp", ".tga")     # what pygame.image.save writes
KEYS = "left drag: draw    right drag: erase    S: predict    C / Backspace: clear    " \
       "L: live    Esc: quit"


class AppError(Exception):
    """A problem the command line reports as one line on stderr (exit code 2)."""


# ---- the model -----------------------------------------------------------------------------

def load_model(path):
    """fnn.load(path) -> (params, layers, meta), checked to map a 28x28 image to 10 classes.
    Raises AppError (one line naming the file) for a missing, corrupt or unsuitable model."""
    try:
        files.check_input(path)
        params, layers, meta = fnn.load(path)
    except (files.PathError, fnn.ModelFileError) as e:
        raise AppError(str(e)) from None
    n_in = int(np.prod(layers[0]["shape"]))
    if n_in != GRID * GRID:
        raise AppError(f"{path}: the model takes {n_in} inputs; draw.py feeds it a 28x28 image (784)")
    try:
        with np.errstate(over="ignore", invalid="ignore"):   # a huge model: analyse says so
            AL, _ = fnn.forward(params, np.zeros((GRID * GRID, 1), np.float32), layers)
    except (NotImplementedError, ValueError) as e:
        raise AppError(f"{path}: this fnn cannot run the model ({e})") from None
    if AL.shape != (10, 1):
        raise AppError(f"{path}: the model has {AL.shape[0]} outputs; a digit model needs 10")
    return params, layers, meta


def analyse(model, canvas):
    """One forward pass for the pad: {"probs": (10,), "seen": (28, 28), "inside": view or None}.
    The inside view is the first hidden layer's output A (its layer cache, see fnn.forward):
      MLP: {"kind": "units", "a": (n1,), "weights": W1 rows (k, 28, 28) of the k most active units}
      CNN: {"kind": "maps", "a": (F, H, W)} the first convolution's feature maps after relu."""
    params, layers, _ = model
    x = mnistify(canvas)
    with np.errstate(over="ignore", invalid="ignore"):       # reported once, below
        AL, cache = fnn.forward(params, x.reshape(-1, 1), layers)
    if not np.isfinite(AL).all():
        raise AppError(NOT_FINITE)
    inside = None
    for spec, _, layer_cache, _ in cache["steps"][:-1]:
        if spec["type"] in ACTIVATIONS:
            A = layer_cache
            if A.ndim == 2:
                a = A[:, 0]
                top = np.argsort(-a)[:4]
                W1 = params["W1"]
                weights = W1[top].reshape(-1, GRID, GRID) if W1.ndim == 2 else None
                inside = {"kind": "units", "a": a, "weights": weights}
            elif A.ndim == 4:
                inside = {"kind": "maps", "a": A[..., 0]}
            break
    return {"probs": AL[:, 0], "seen": x.reshape(GRID, GRID), "inside": inside}


# ---- the canvas ----------------------------------------------------------------------------

_CENTRES = np.mgrid[0:GRID, 0:GRID].astype(np.float32) + 0.5     # (2, 28, 28): cell centres (y, x)


def paint(canvas, x, y, radius=BRUSH_RADIUS, erase=False, prev=None):
    """A soft brush stroke from `prev` (x0, y0) to (x, y), in cell units (cell [i, j] covers
    x in [j, j+1), y in [i, i+1)); a single dab when prev is None.

    Each cell receives the ink  f = clip(radius - d, 0, 1),  d = distance from the cell's centre
    to the segment: full ink within radius - 1 of the line, fading linearly to 0 at `radius`,
    so strokes have the anti-aliased grey edges of MNIST's. Painting keeps the darker value,
    new = max(canvas, f) (going over a stroke again does not blot it); erasing removes ink,
    new = canvas * (1 - f). Taking the whole segment between two mouse positions keeps a fast
    stroke continuous. Returns a new float32 (28, 28) array; `canvas` is not modified.
    """
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


def to_cells(pos):
    """Screen pixel (px, py) -> canvas coordinates (x, y) in cells (floats)."""
    return (pos[0] - CANVAS.x) / CELL, (pos[1] - CANVAS.y) / CELL


def is_empty(canvas):
    """True when nothing is drawn (mnistify's ink threshold: no cell above INK_THRESHOLD)."""
    return not (np.asarray(canvas) > INK_THRESHOLD).any()


# ---- images --------------------------------------------------------------------------------

def read_image(path):
    """An image file (anything pygame loads: PNG, JPG, BMP ...) -> (H, W) ink in [0, 1].
    Dark-on-light and light-on-dark both work (fnn.preprocess.to_ink). In a picture with
    transparency the opaque pixels are the ink (a pen stroke on a transparent layer).
    The size is read from the header first (fnn.image_header): a huge image is never decoded."""
    try:
        files.check_input(path)
        image_header.check_size(path)
        surf = pygame.image.load(os.fspath(path))
    except (files.PathError, image_header.ImageHeaderError) as e:
        raise AppError(str(e)) from None
    except (pygame.error, OSError) as e:
        raise AppError(f"{path}: cannot read the image ({e})") from None
    if surf.get_width() == 0 or surf.get_height() == 0:
        raise AppError(f"{path}: the image is empty")
    rgb = pygame.surfarray.array3d(surf).transpose(1, 0, 2)       # (W, H, 3) -> (H, W, 3)
    if surf.get_flags() & pygame.SRCALPHA:
        alpha = pygame.surfarray.array_alpha(surf).T
        if alpha.min() < 128 <= alpha.max():                           # real transparency
            return to_ink(alpha, invert=False)
    return to_ink(rgb)


def classify_image(model, path):
    """path -> (digit, p, result): result is analyse()'s dict for the image (its "seen" is the
    preprocessed (28, 28) digit). Raises AppError."""
    ink = read_image(path)
    if is_empty(ink):
        raise AppError(f"{path}: no ink found: the image is blank")
    try:
        result = analyse(model, even_out_strokes(ink))
    except AppError as e:
        raise AppError(f"{path}: {e}") from None
    probs = result["probs"]
    return int(probs.argmax()), float(probs.max()), result


# ---- state and events ----------------------------------------------------------------------

def new_state(model=None, model_name=""):
    """The whole app as plain data."""
    return {
        "canvas": np.zeros((GRID, GRID), np.float32),
        "probs": None,           # (10,) last prediction, None = nothing to show ("draw a digit")
        "seen": None,            # (28, 28) what the network received
        "inside": None,          # the hidden layer view (see analyse)
        "model": model, "model_name": model_name,
        "live": True,            # predict as you draw
        "stroke": None,          # None, "draw" or "erase" while a mouse button is held
        "last": None,            # previous mouse position of the stroke, in cells
        "mouse": None,           # mouse position on screen, for the brush outline
        "dirty": False,          # canvas changed since the last prediction
        "next_live": 0.0,        # time of the next live prediction during a stroke
        "message": "",           # one line shown under the prediction
        "running": True,
    }


def update_prediction(state):
    """A new state with the prediction for the current canvas, or none if it is empty."""
    s = dict(state, dirty=False)
    if is_empty(s["canvas"]) or s["model"] is None:
        s.update(probs=None, seen=None, inside=None)
    else:
        try:
            s.update(analyse(s["model"], s["canvas"]))
        except AppError as e:                        # shown in the panel instead of a prediction
            s.update(probs=None, seen=None, inside=None, message=str(e))
    return s


def clear(state):
    return dict(state, canvas=np.zeros((GRID, GRID), np.float32), probs=None, seen=None,
                inside=None, stroke=None, last=None, dirty=False, message="")


def load_dropped(state, path):
    """DROPFILE: put the file's preprocessed digit on the pad and classify it."""
    try:
        digit, p, result = classify_image(state["model"], path)
    except AppError as e:
        return dict(state, message=str(e))
    # the pad shows the preprocessed digit and the prediction already made for it
    s = dict(state, canvas=result["seen"].copy(), dirty=False, **result)   # float32 (mnistify)
    s["message"] = f"{os.path.basename(path)}: {digit} ({p:.0%})"
    print(f"{path}: {digit} ({p:.1%})", flush=True)
    return s


def handle_event(state, event):
    """One pygame event -> a new state (the old one is not modified)."""
    t = event.type
    if t == pygame.QUIT:
        return dict(state, running=False)
    if t == pygame.KEYDOWN:
        if event.key == pygame.K_ESCAPE:
            return dict(state, running=False)
        if event.key == pygame.K_s:
            return update_prediction(dict(state, message=""))
        if event.key in (pygame.K_c, pygame.K_BACKSPACE):
            return clear(state)
        if event.key == pygame.K_l:
            s = dict(state, live=not state["live"])
            return update_prediction(s) if s["live"] else s
        return state
    if t == pygame.MOUSEBUTTONDOWN and event.button in (1, 3):
        mode = "draw" if event.button == 1 else "erase"
        return _stroke_to(dict(state, stroke=mode, last=None, mouse=event.pos), event.pos)
    if t == pygame.MOUSEMOTION:
        s = dict(state, mouse=event.pos)
        if s["stroke"] is None:
            buttons = getattr(event, "buttons", (0, 0, 0))
            if buttons[0] or (len(buttons) > 2 and buttons[2]):       # dragged in from outside
                s["stroke"] = "draw" if buttons[0] else "erase"
        return _stroke_to(s, event.pos) if s["stroke"] else s
    if t == pygame.MOUSEBUTTONUP and event.button in (1, 3):
        if state["stroke"] is None:
            return state
        s = dict(state, stroke=None, last=None)
        return update_prediction(s) if s["live"] and s["dirty"] else s
    if t == pygame.DROPFILE:
        return load_dropped(state, event.file)
    return state


def _stroke_to(state, pos):
    """Paint (or erase) from the stroke's last position to pos."""
    x, y = to_cells(pos)
    erase = state["stroke"] == "erase"
    canvas = paint(state["canvas"], x, y, ERASER_RADIUS if erase else BRUSH_RADIUS,
                   erase=erase, prev=state["last"])
    changed = not np.array_equal(canvas, state["canvas"])
    return dict(state, canvas=canvas, last=(x, y), dirty=state["dirty"] or changed)


def refresh(state, now):
    """Once a frame: in live mode, re-predict during a stroke at most every LIVE_INTERVAL s."""
    if state["live"] and state["dirty"] and now >= state["next_live"]:
        return dict(update_prediction(state), next_live=now + LIVE_INTERVAL)
    return state


# ---- drawing -------------------------------------------------------------------------------

def make_fonts():
    """The fonts render() uses (pygame's bundled default font; pygame.font must be initialised)."""
    pygame.font.init()
    return {n: pygame.font.Font(None, n) for n in (18, 22, 26, 34, 120)}


def _gray_surface(img, size):
    """(h, w) values in [0, 1] -> a grey Surface scaled (nearest) to `size`."""
    g = (np.clip(img, 0.0, 1.0) * 255).astype(np.uint8).T
    surf = pygame.surfarray.make_surface(np.repeat(g[:, :, None], 3, axis=2))
    return pygame.transform.scale(surf, size)


_HEAT = np.array([[26, 28, 36], [150, 60, 40], [255, 176, 64], [255, 244, 200]], np.float32)


def _heat(v):
    """Values in [0, 1] -> (..., 3) uint8, dark -> red -> orange -> pale yellow."""
    v = np.clip(v, 0.0, 1.0) * (len(_HEAT) - 1)
    i = np.minimum(v.astype(int), len(_HEAT) - 2)
    f = (v - i)[..., None]
    return (_HEAT[i] * (1 - f) + _HEAT[i + 1] * f).astype(np.uint8)


def _diverging(w):
    """Weights -> (h, w, 3) uint8: blue negative, black 0, orange positive (scaled by max |w|)."""
    w = w / (np.abs(w).max() + 1e-12)
    pos, neg = np.clip(w, 0, 1)[..., None], np.clip(-w, 0, 1)[..., None]
    return (pos * np.array([255, 170, 60]) + neg * np.array([80, 150, 255])).astype(np.uint8)


def _rgb_surface(rgb, size):
    return pygame.transform.scale(pygame.surfarray.make_surface(rgb.transpose(1, 0, 2)), size)


def _label(font, text, pos, color=FG, anchor="topleft"):
    """A text drawing op: (Surface.blit, (image, rect)), the text placed at pos by `anchor`."""
    img = font.render(text, True, color)
    return pygame.Surface.blit, (img, img.get_rect(**{anchor: pos}))


def _box(color, rect, width=0):
    """A rectangle drawing op (filled, or an outline `width` px wide)."""
    return pygame.draw.rect, (color, pygame.Rect(rect), width)


def _replay(surface, ops):
    """Draw a list of ops (function, args) on surface, in order."""
    for fn, args in ops:
        fn(surface, *args)


def _freeze(value):
    """A comparable copy of value (arrays by content, dicts by sorted items): a cache key part."""
    if isinstance(value, np.ndarray):
        return value.shape, value.dtype.str, value.tobytes()
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _cached(cache, name, key, build):
    """cache[name]'s value if it was built for an equal key, else build(), stored with key."""
    hit = cache.get(name)
    if hit is not None and hit[0] == key:
        return hit[1]
    value = build()
    cache[name] = (key, value)
    return value


def _like(surface, size):
    """A new Surface of `size` in surface's pixel format (so blits between them are exact)."""
    return pygame.Surface(size, 0, surface)


def _static_layer(like, fonts, model_name):
    """The parts of a frame that never change: background, title, model name, canvas border,
    on a Surface of like's size and format."""
    layer = _like(like, like.get_size())
    layer.fill(BG)
    _replay(layer, [
        _label(fonts[34], "fnn digit pad", (MARGIN, 16)),
        _label(fonts[22], f"model: {model_name or 'no model'}", (CANVAS.right, 24), MUTED,
               "topright"),
        _box(MUTED, CANVAS.inflate(2, 2), 1)])
    return layer


def _canvas_layer(like, fonts, canvas):
    """The canvas at CANVAS.size in like's pixel format: 28 x 28 cells of ink, white on black
    like MNIST, with a faint grid, and a hint when nothing is drawn."""
    layer = _gray_surface(canvas, CANVAS.size)
    if (layer.get_bitsize(), layer.get_masks()) != (like.get_bitsize(), like.get_masks()):
        layer = layer.convert(like)
    for k in range(1, GRID):                     # 1 px grid lines, drawn as fills
        layer.fill(GRID_LINE, (k * CELL, 0, 1, CANVAS.h))
        layer.fill(GRID_LINE, (0, k * CELL, CANVAS.w, 1))
    if is_empty(canvas):
        _replay(layer, [_label(fonts[26], "draw a digit here", (CANVAS.w // 2, CANVAS.h // 2),
                               MUTED, "center")])
    return layer


def panel_view(state):
    """The state's fields the prediction panel shows (and nothing else): its cache key."""
    mode = "live" if state["live"] else "drawing changed: press S" if state["dirty"] else "press S"
    return {"probs": state["probs"], "seen": state["seen"], "inside": state["inside"],
            "message": state["message"], "live": state["live"], "mode": mode}


def _panel_ops(fonts, view):
    """What a frame draws after the brush outline (over it): the key help line and the
    prediction panel for panel_view(state): headline, bars, network input, hidden layer."""
    ops = [_label(fonts[22], KEYS, (MARGIN, CANVAS.bottom + 14), MUTED)]
    x, y = PANEL_X, TOP
    probs = view["probs"]
    ops.append(_label(fonts[22], f"prediction  ({view['mode']})", (x, y), MUTED))
    if probs is None:
        ops += [_label(fonts[34], "draw a digit", (x, y + 44)),
                _label(fonts[22], "then press S (or just lift the pen)", (x, y + 82), MUTED)]
    else:
        k = int(probs.argmax())
        sure = "sure" if probs[k] > 0.9 else "fairly sure" if probs[k] > 0.6 else "unsure"
        ops += [_label(fonts[120], str(k), (x, y + 18), ACCENT),
                _label(fonts[34], f"{probs[k]:.1%}", (x + 80, y + 40)),
                _label(fonts[22], sure, (x + 80, y + 74), MUTED)]
    if view["message"]:
        ops.append(_label(fonts[18], view["message"][:60], (x, y + 112), MUTED))

    # one labelled bar per digit
    y0, row, bar_x, bar_w = TOP + 132, 23, x + 26, PANEL_W - 86
    best = int(probs.argmax()) if probs is not None else -1
    for d in range(10):
        yy = y0 + d * row
        ops += [_label(fonts[22], str(d), (x + 4, yy + 3), FG if d == best else MUTED),
                _box(BAR_BG, (bar_x, yy + 3, bar_w, row - 7))]
        if probs is not None:
            w = int(round(float(probs[d]) * bar_w))
            ops += [_box(ACCENT if d == best else BAR, (bar_x, yy + 3, w, row - 7)),
                    _label(fonts[18], f"{probs[d]:.0%}", (bar_x + bar_w + 8, yy + 5),
                           FG if d == best else MUTED)]

    # what the network receives, and a look inside
    y1 = y0 + 10 * row + 14
    seen_rect = pygame.Rect(x, y1 + 20, 112, 112)
    seen = view["seen"] if view["seen"] is not None else np.zeros((GRID, GRID))
    ops += [_label(fonts[18], "network input (28x28)", (x, y1), MUTED),
            (pygame.Surface.blit, (_gray_surface(seen, seen_rect.size), seen_rect)),
            _box(GRID_LINE, seen_rect.inflate(2, 2), 1),
            _label(fonts[18], "mode: " + ("live" if view["live"] else "press S"),
                   (x, seen_rect.bottom + 10), MUTED)]
    area = pygame.Rect(x + 136, y1, PANEL_W - 136, CANVAS.bottom + 30 - y1)
    return ops + _inside_ops(fonts, view["inside"], area)


def _inside_ops(fonts, inside, area):
    """The first hidden layer for the current drawing: unit activations (MLP) or feature
    maps (CNN); for an MLP also the input weights (W1 rows) of its 4 most active units."""
    if inside is None:
        return [_label(fonts[18], "inside the network", area.topleft, MUTED),
                _label(fonts[18], "(hidden layer lights up as you draw)", (area.x, area.y + 22),
                       MUTED)]
    a = inside["a"]
    peak = float(a.max()) if a.max() > 0 else 1.0
    if inside["kind"] == "units":
        n = a.size
        cols = int(np.ceil(np.sqrt(2 * n)))
        rows = int(np.ceil(n / cols))
        cell = max(2, min(16, area.w // cols, 112 // rows))
        grid = np.zeros(rows * cols)
        grid[:n] = a / peak
        r = pygame.Rect(area.x, area.y + 20, cols * cell, rows * cell)
        ops = [_label(fonts[18], f"hidden layer 1: {n} units", area.topleft, MUTED),
               (pygame.Surface.blit, (_rgb_surface(_heat(grid.reshape(rows, cols)), r.size), r))]
        if inside.get("weights") is not None:
            yy = r.bottom + 8
            ops.append(_label(fonts[18], "what the 4 strongest units look for", (area.x, yy),
                              MUTED))
            for i, w in enumerate(inside["weights"]):
                wr = pygame.Rect(area.x + i * 64, yy + 20, 56, 56)
                ops.append((pygame.Surface.blit, (_rgb_surface(_diverging(w), wr.size), wr)))
        return ops
    F, H, W = a.shape
    cols = int(np.ceil(np.sqrt(F)))
    rows = int(np.ceil(F / cols))
    tile = max(8, min(56, (area.w - 4 * cols) // cols, (area.h - 24) // rows - 4))
    ops = [_label(fonts[18], f"conv layer 1: {F} feature maps", area.topleft, MUTED)]
    for f in range(F):
        rr = pygame.Rect(area.x + (f % cols) * (tile + 4), area.y + 20 + (f // cols) * (tile + 4),
                         tile, tile)
        ops.append((pygame.Surface.blit, (_rgb_surface(_heat(a[f] / peak), rr.size), rr)))
    return ops


def _brush(state):
    """The brush outline (centre, radius in px) when the mouse is over the canvas, else None."""
    mouse = state.get("mouse")
    if not (mouse and CANVAS.collidepoint(mouse)):
        return None
    return mouse, int((ERASER_RADIUS if state["stroke"] == "erase" else BRUSH_RADIUS) * CELL)


def _paint_frame(surface, static, canvas, ops, brush):
    """A frame from its layers, in drawing order: background, canvas (unless None), brush
    outline (unless None), then the help line and panel ops."""
    surface.blit(static, (0, 0))
    if canvas is not None:
        surface.blit(canvas, CANVAS)
    if brush is not None:
        pygame.draw.circle(surface, ACCENT, brush[0], brush[1], 1)
    _replay(surface, ops)


def render(surface, state, cache=None):
    """Draw one frame of the pad for `state` on `surface` (WIDTH x HEIGHT).

    cache: a dict render() keeps its layers in between frames (run() passes one). With it, the
    static background is built once, the canvas layer when the canvas changes, the help line
    and panel (texts, bars, feature maps) when panel_view(state) changes, each keyed by the
    values it shows. A frame is then one blit of the background-and-panel composite, and the
    canvas's rectangle (with the brush outline's square) repainted in full drawing order.
    Without a cache every layer is built afresh and painted in order: the same pixels."""
    layers = {} if cache is None else cache
    fonts = _cached(layers, "fonts", None, make_fonts)
    fmt = (surface.get_size(), surface.get_bitsize(), surface.get_masks())
    static_key = (fmt, fonts, state["model_name"])
    static = _cached(layers, "static", static_key,
                     lambda: _static_layer(surface, fonts, state["model_name"]))
    canvas = _cached(layers, "canvas", (static_key, _freeze(state["canvas"])),
                     lambda: _canvas_layer(surface, fonts, state["canvas"]))
    view = panel_view(state)
    panel_key = (fonts, _freeze(view))
    ops = _cached(layers, "panel", panel_key, lambda: _panel_ops(fonts, view))
    brush = _brush(state)
    if cache is None:
        _paint_frame(surface, static, canvas, ops, brush)
        return

    def composite():
        base = _like(surface, surface.get_size())
        _paint_frame(base, static, None, ops, None)
        return base

    surface.blit(_cached(cache, "base", (static_key, panel_key), composite), (0, 0))
    region = CANVAS                              # the only pixels canvas and brush can touch
    if brush is not None:
        (cx, cy), r = brush
        region = region.union(cx - r - 2, cy - r - 2, 2 * r + 5, 2 * r + 5)
    clip = surface.get_clip()
    surface.set_clip(region.clip(clip))
    _paint_frame(surface, static, canvas, ops, brush)
    surface.set_clip(clip)


# ---- the loop and the command line ---------------------------------------------------------

def run(screen, state, max_frames=None, on_frame=None):
    """The event loop: events -> handle_event, live refresh, render, 60 fps. Returns the last state.
    on_frame(frame, state), if given, is called before each frame's events (tests post events there)."""
    clock = pygame.time.Clock()
    cache = {}                                       # render()'s layers, kept between frames
    frame = 0
    while state["running"]:
        if on_frame is not None:
            on_frame(frame, state)
        for event in pygame.event.get():
            state = handle_event(state, event)
        state = refresh(state, time.perf_counter())
        render(screen, state, cache)
        pygame.display.flip()
        clock.tick(FPS)
        frame += 1
        if max_frames is not None and frame >= max_frames:
            break
    return state


def demo_strokes():
    """A hand-drawn-looking 3: two arcs (polylines of (x, y) in cells), a little left of centre."""
    def arc(cx, cy, r, a0, a1, k=16):
        a = np.deg2rad(np.linspace(a0, a1, k))
        return np.stack([cx + r * np.cos(a), cy + r * np.sin(a)], axis=1)
    return [arc(11.0, 9.2, 4.2, -160, 92), arc(11.4, 17.4, 4.6, -92, 160)]


def draw_strokes(canvas, strokes, radius=BRUSH_RADIUS):
    """Paint each polyline (k, 2) of (x, y) cell coordinates, segment by segment."""
    for s in strokes:
        prev = None
        for x, y in s:
            canvas = paint(canvas, float(x), float(y), radius, prev=prev)
            prev = (float(x), float(y))
    return canvas


class _Parser(argparse.ArgumentParser):
    def error(self, message):                       # one line, exit 2 (not usage + error)
        print(f"draw.py: {message} (see python draw.py --help)", file=sys.stderr)
        sys.exit(2)


def parse_args(argv):
    p = _Parser(prog="draw.py", description="Draw a digit and let an fnn network read it.")
    p.add_argument("--model", default=None,
                   help=f"model file from fnn.save / train.py (default: {DEFAULT_MODEL})")
    p.add_argument("--image", metavar="FILE", help="print the prediction for an image file and exit")
    p.add_argument("--screenshot", metavar="PNG",
                   help="render the pad with a demo digit drawn on it to PNG and exit (no window)")
    p.add_argument("--bench", action="store_true",
                   help="time drawing one frame (render + flip) while drawing and hovering")
    p.add_argument("--max-frames", type=int, default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None, on_frame=None):
    try:
        return _main(argv, on_frame)
    except KeyboardInterrupt:
        print("\ndraw.py: interrupted", file=sys.stderr)
        return 130


def check_screenshot(out):
    """--screenshot names a new image file or an image to replace (fnn.files.check_output)."""
    try:
        files.check_output(out, "image")
    except files.PathError as e:
        raise AppError(str(e)) from None
    if os.path.splitext(out)[1].lower() not in SCREENSHOT_TYPES:
        raise AppError(f"{out}: --screenshot needs an image name ending in "
                       f"{', '.join(SCREENSHOT_TYPES)}")


def _main(argv, on_frame):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    path = args.model or os.path.join(HERE, DEFAULT_MODEL)
    try:
        if args.screenshot:
            check_screenshot(args.screenshot)
        model = load_model(path)
        name = os.path.relpath(path) if args.model is None else args.model
        if args.image:
            digit, p, _ = classify_image(model, args.image)
            print(f"{args.image}: {digit} ({p:.1%})")
            return 0
        if args.screenshot:
            return screenshot(model, name, args.screenshot)
        if args.bench:
            return bench(model, name)
    except AppError as e:
        print(f"draw.py: {e}", file=sys.stderr)
        return 2
    pygame.display.init()
    pygame.font.init()
    try:
        screen = pygame.display.set_mode((WIDTH, HEIGHT))
        pygame.display.set_caption("fnn digit pad")
        state = new_state(model, name)
        run(screen, state, args.max_frames, on_frame)
    finally:
        pygame.quit()
    return 0


def screenshot(model, name, out):
    """Render a frame with the demo digit painted by paint() strokes and save it as PNG."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    pygame.font.init()
    try:
        state = new_state(model, name)
        state["canvas"] = draw_strokes(state["canvas"], demo_strokes())
        state = update_prediction(state)
        if state["probs"] is None:
            raise AppError(f"{name}: {state['message']}")
        state["mouse"] = (int(CANVAS.x + 7.1 * CELL), int(CANVAS.y + 19.0 * CELL))
        surface = pygame.Surface((WIDTH, HEIGHT))
        render(surface, state, {})                   # the window's path: cached layers
        ext = os.path.splitext(out)[1]
        try:
            files.atomic_write(out, lambda f: pygame.image.save(surface, f, ext), suffix=ext)
        except (pygame.error, OSError) as e:
            raise AppError(f"{out}: cannot write the screenshot ({e})") from None
    finally:
        pygame.quit()
    print(f"wrote {out}: predicted {int(state['probs'].argmax())} ({state['probs'].max():.1%})")
    return 0


def bench_states(state, frames):
    """The states the window renders (drawing, hovering): `frames` frames of a stroke drawn
    across the canvas, one mouse move a frame, with live prediction at 60 fps time; then
    `frames` frames of the pen hovering back along it (only the brush outline moves)."""
    pts = [(int(CANVAS.x + (4 + 20 * abs(np.sin(k / 23))) * CELL),
            int(CANVAS.y + (4 + 20 * k / frames) * CELL)) for k in range(frames)]
    st = handle_event(state, pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pts[0], button=1))
    drawing = []
    for k, pos in enumerate(pts):
        st = handle_event(st, pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0),
                                                 buttons=(1, 0, 0)))
        st = refresh(st, k / FPS)
        drawing.append(st)
    st = handle_event(st, pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pts[-1], button=1))
    hovering = []
    for pos in pts[::-1]:
        st = handle_event(st, pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0),
                                                 buttons=(0, 0, 0)))
        hovering.append(st)
    return drawing, hovering


def bench(model, name, frames=180, repeats=5):
    """Median time to draw one frame of the window (render + display.flip: the frame loop's
    drawing) while a stroke is drawn and while the pen hovers. The states are computed first,
    so no prediction is timed; `python benchmarks/bench.py` times one digit's prediction."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    pygame.font.init()
    try:
        screen = pygame.display.set_mode((WIDTH, HEIGHT))
        phases = bench_states(new_state(model, name), frames)
        times = ([], [])
        for _ in range(repeats):
            cache = {}                                 # as run() starts with
            for states, ts in zip(phases, times):
                for st in states:
                    t0 = time.perf_counter()
                    render(screen, st, cache)
                    pygame.display.flip()
                    ts.append(time.perf_counter() - t0)
    finally:
        pygame.quit()
    drawing, hovering = (1e3 * np.median(ts) for ts in times)
    print(f"{name}: one frame drawn (render + display.flip), median of {frames * repeats}: "
          f"{drawing:.2f} ms while a stroke is drawn (canvas changes every frame, live "
          f"prediction every {LIVE_INTERVAL} s), {hovering:.2f} ms while the pen hovers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
