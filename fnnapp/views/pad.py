"""The pad's window: where things are, and one frame of it drawn afresh from fnnapp.views.app's state:
the canvas with the brush outline, the prediction (a big digit, one bar a digit), the 28x28
input the network received and its first hidden layer lighting up."""
import numpy as np
import pygame

from fnnapp.views.canvas import BRUSH_RADIUS, ERASER_RADIUS, GRID, is_empty
from fnnapp.views.panels import bars, panel, share
from fnn.digits.teach import STEPS
from fnnapp.cli.words import count
from fnnapp.views.teaching import unsaved
from fnnapp.views.theme import ACCENT, BAR_BG, BG, FG, GRID_LINE, MUTED, text
from fnn.io.files import shown
from fnnapp.views.tiles import diverging, gray, heat, per_map, tile, tile_grid
from fnnapp.views.xray import grad_panel, xray_view

CELL = 20                                                          # pixels per canvas cell
MARGIN, TOP = 20, 60
CANVAS = pygame.Rect(MARGIN, TOP, GRID * CELL, GRID * CELL)        # 560 x 560
PANEL = pygame.Rect(CANVAS.right + 36, TOP, 420, CANVAS.h + 30)
WIDTH, HEIGHT = PANEL.right + MARGIN, CANVAS.bottom + 72       # two lines of keys below
KEYS = ("left drag: draw    right drag: erase    S: predict    C / Backspace: clear    L: live    "
        "Esc: quit")
BACKPROP_KEYS = "G: why    B: X-ray    0-9: teach it    Ctrl-Z: undo    K: keep    Ctrl-S: save"
WHY_KEYS = "W 0-9: what would make it a ...    N: nearest digits"     # right of BACKPROP_KEYS
DIGITS = [str(d) for d in range(10)]


def to_cells(pos):
    """Screen pixel (px, py) -> canvas coordinates (x, y) in cells (floats)."""
    return (pos[0] - CANVAS.x) / CELL, (pos[1] - CANVAS.y) / CELL


def headline(state):
    """What the panel says above the bars: (mode, [lines]) with no prediction to show, where the
    lines say what to do next; (mode, None) when there is a prediction."""
    mode = "live" if state["live"] else "drawing changed: press S" if state["dirty"] else "press S"
    if state["probs"] is not None:
        return mode, None
    if is_empty(state["canvas"]):
        return mode, ["draw a digit", "it is read as you draw" if state["live"] else "then press S"]
    return mode, ["press S", "to read the drawing"]


def model_line(state):
    """The header's words for the model: (line, True when teachings would be lost on quitting)."""
    n = unsaved(state)
    if n:
        return f"model: {state['model_name']}, taught {count(n, 'time')}: unsaved copy", True
    if state["saved_as"] and state["saved_model"] is state["model"]:
        return f"model: {state['saved_as']} (taught, saved)", False
    return f"model: {state['model_name'] or 'no model'}", False


def render(surface, state, fonts):
    """One frame for `state` on surface (WIDTH x HEIGHT), or the X-ray (key B) when it is open."""
    surface.fill(BG)
    if state["view"] == "xray" and state["explain"] is not None:
        xray_view(surface, pygame.Rect(MARGIN, 16, WIDTH - 2 * MARGIN, HEIGHT - 28),
                  state["explain"], state["seen"], fonts)
        return
    text(surface, fonts["big"], "fnn digit pad", (MARGIN, 16))
    name, hot = model_line(state)
    text(surface, fonts["text"], name, (PANEL.right, 24), ACCENT if hot else MUTED, "topright")
    tile(surface, CANVAS, state["canvas"], gray)               # white on black, like MNIST
    for k in range(1, GRID):                                   # a faint 1 px grid between the cells
        surface.fill(GRID_LINE, (CANVAS.x + k * CELL, CANVAS.y, 1, CANVAS.h))
        surface.fill(GRID_LINE, (CANVAS.x, CANVAS.y + k * CELL, CANVAS.w, 1))
    pygame.draw.rect(surface, MUTED, CANVAS.inflate(2, 2), 1)
    if is_empty(state["canvas"]):
        text(surface, fonts["text"], "draw a digit here", CANVAS.center, MUTED, "center")
    if state["mouse"] and CANVAS.collidepoint(state["mouse"]):             # the brush's reach
        radius = ERASER_RADIUS if state["stroke"] == "erase" else BRUSH_RADIUS
        pygame.draw.circle(surface, ACCENT, state["mouse"], int(radius * CELL), 1)
    text(surface, fonts["text"], KEYS, (MARGIN, CANVAS.bottom + 12), MUTED)
    text(surface, fonts["text"], BACKPROP_KEYS, (MARGIN, CANVAS.bottom + 38), MUTED)
    text(surface, fonts["small"], WHY_KEYS, (PANEL.right, CANVAS.bottom + 42), MUTED, "topright")
    prediction(surface, PANEL, state, fonts)


def prediction(surface, rect, state, fonts):
    """The panel: headline, a bar a digit, the network's input and a look inside (or G's view)."""
    x, y = rect.topleft
    mode, lines = headline(state)
    probs, best = state["probs"], None
    text(surface, fonts["text"], f"prediction  ({mode})", (x, y), MUTED)
    if lines:
        text(surface, fonts["big"], lines[0], (x, y + 44))
        text(surface, fonts["text"], lines[1], (x, y + 82), MUTED)
    elif state["doubt"]:                                   # fnn.analysis.nearest.doubt
        text(surface, fonts["big"], "that does not look", (x, y + 30), ACCENT)
        text(surface, fonts["big"], "like a digit", (x, y + 62), ACCENT)
        text(surface, fonts["text"], f"({state['doubt']})", (x, y + 92), MUTED)
    else:
        best = int(probs.argmax())
        sure = "sure" if probs[best] > 0.9 else "fairly sure" if probs[best] > 0.6 else "unsure"
        text(surface, fonts["huge"], str(best), (x, y + 18), ACCENT)
        text(surface, fonts["big"], share(probs[best]), (x + 80, y + 40))
        text(surface, fonts["text"], sure, (x + 80, y + 74), MUTED)
    if state["teaching"] is not None:
        progress(surface, pygame.Rect(x, y + 110, rect.w, 18), state["teaching"], fonts)
    elif state["message"]:
        text(surface, fonts["small"], clip(fonts["small"], state["message"], rect.w), (x, y + 112), MUTED)
    bars(surface, pygame.Rect(x, y + 132, rect.w, 230), probs, fonts, DIGITS, best)
    y1 = y + 376
    if state["view"] == "grad" and state["explain"] is not None:                # key G
        grad_panel(surface, pygame.Rect(x, y1, rect.w, CANVAS.bottom - y1), state["seen"],
                   state["explain"], fonts)
        return
    aside = pygame.Rect(x, y1, rect.w, CANVAS.bottom - y1)
    if state["aside"] == "whatif" and state["whatif"] is not None:                # keys W, 0-9
        return what_if_panel(surface, aside, state["seen"], state["whatif"], fonts)
    if state["aside"] == "nearest" and state["nearest"] is not None:               # key N
        return nearest_panel(surface, aside, state["nearest"], fonts)
    seen = pygame.Rect(panel(surface, pygame.Rect(x, y1, 120, rect.bottom - y1),
                             "its input", fonts).topleft, (112, 112))
    tile(surface, seen, np.zeros((GRID, GRID)) if state["seen"] is None else state["seen"], gray)
    pygame.draw.rect(surface, MUTED, seen.inflate(2, 2), 1)
    inside(surface, pygame.Rect(x + 136, y1, rect.w - 136, rect.bottom - y1), state["inside"], fonts,
           state["live"])


def clip(font, s, width):
    """s, cut to end in "..." where it would be wider than `width` px in `font`."""
    s = shown(s)                                 # a file name that is not UTF-8: \xff
    if font.size(s)[0] <= width:
        return s
    while s and font.size(s + "...")[0] > width:
        s = s[:-1]
    return s + "..."


def progress(surface, rect, job, fonts):
    """A teaching under way: its words and a bar of the steps done, redrawn after each step."""
    done = job["step"] / STEPS
    r = text(surface, fonts["small"], f"teaching {job['digit']}: step {job['step']} of {STEPS}   "
             f"Esc stops", rect.topleft, ACCENT)
    bar = pygame.Rect(r.right + 12, rect.y + 2, max(rect.right - r.right - 12, 10), rect.h - 4)
    pygame.draw.rect(surface, BAR_BG, bar)
    pygame.draw.rect(surface, ACCENT, (bar.x, bar.y, round(done * bar.w), bar.h))


def inside(surface, rect, view, fonts, live=True):
    """The first hidden layer for the drawing (fnnapp.views.teaching.analyse's "inside"): unit activations
    (MLP) with the input weights (W1 rows) of its 4 most active units, or feature maps (CNN),
    each map by its own peak."""
    if view is None:
        area = panel(surface, rect, "inside the network", fonts)
        text(surface, fonts["small"], "lights up as you draw" if live else "lights up when you press S",
             area.topleft, MUTED)
        return
    if view["kind"] == "maps":
        tile_grid(surface, panel(surface, rect, f"conv layer 1: {len(view['a'])} feature maps", fonts),
                  per_map(view["a"]), heat)
        return
    a = view["a"] / (view["a"].max() if view["a"].max() > 0 else 1.0)
    area = panel(surface, rect, f"hidden layer 1: {a.size} units", fonts)
    cols = int(np.ceil(np.sqrt(2 * a.size)))                    # a grid twice as wide as tall
    rows = int(np.ceil(a.size / cols))
    cell = max(2, min(16, area.w // cols, 112 // rows))
    grid = np.zeros(rows * cols)
    grid[:a.size] = a
    units = pygame.Rect(area.topleft, (cols * cell, rows * cell))
    tile(surface, units, grid.reshape(rows, cols), heat)
    if view["weights"] is not None:
        below = pygame.Rect(area.x, units.bottom + 8, area.w, area.bottom - units.bottom - 8)
        tile_grid(surface, panel(surface, below, "what the 4 strongest units look for", fonts),
                  view["weights"], diverging, cols=4, gap=8)


def what_if_panel(surface, rect, seen, whatif, fonts):
    """W d: the network's input, the change fnn.counterfactual made (orange: ink added, blue:
    ink removed, over the drawing in grey) and the new input, with p(d) before and after."""
    d, new = whatif["target"], whatif["new"]
    text(surface, fonts["text"], f"what would make it {'an' if d == 8 else 'a'} {d}?   p({d}) {whatif['before']:.0%} -> "
         f"{whatif['after']:.0%}", rect.topleft, ACCENT)
    side = min((rect.w - 24) // 3, rect.h - 60)
    change = new - seen
    boxes = [pygame.Rect(rect.x + k * (side + 12), rect.y + 44, side, side) for k in range(3)]
    tile(surface, boxes[0], seen, gray)
    shown = np.where(np.abs(change) > 0.05, change, 0)        # changes of more than 5% of full ink
    tile(surface, boxes[1], shown, lambda c: np.maximum(diverging(c), (gray(seen) * 0.35).astype(np.uint8)))
    tile(surface, boxes[2], new, gray)
    for box, label in zip(boxes, ("drawing", f"change: {whatif['changed']} px", f"read as {d}?")):
        pygame.draw.rect(surface, MUTED, box.inflate(2, 2), 1)
        text(surface, fonts["small"], label, (box.x, box.y - 18), MUTED)
    text(surface, fonts["small"], "orange: ink to add   blue: ink to remove", (rect.x, boxes[0].bottom + 8), MUTED)


def nearest_panel(surface, rect, near, fonts):
    """N: the training digits nearest to the drawing in the last hidden layer, with labels."""
    text(surface, fonts["text"], "nearest training digits (last hidden layer)", rect.topleft, ACCENT)
    k = len(near["labels"])
    cols = (k + 1) // 2
    side = min((rect.w - (cols - 1) * 8) // cols, (rect.h - 90) // 2)
    for i in range(k):
        box = pygame.Rect(rect.x + (i % cols) * (side + 8), rect.y + 28 + (i // cols) * (side + 24), side, side)
        tile(surface, box, near["images"][i], gray)
        text(surface, fonts["small"], f"{near['labels'][i]}: {near['dist'][i]:.2f}",
             (box.x, box.bottom + 3), FG if i else ACCENT)
    text(surface, fonts["small"], "digit: cosine distance of A[L-1]   N again: back", (rect.x, rect.bottom - 16), MUTED)
