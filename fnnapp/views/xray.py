"""The pad's backprop views: why the network answered (G) and the X-ray of one drawing (B).

    grad_panel(surface, rect, seen, explain, fonts)   d log p_c / d pixel over the network's input
    xray_view(surface, rect, ray, seen, fonts)        every layer's A, dZ, ||dW|| and its equation

Both draw numbers computed by fnn.analysis.explain (fnnapp.views.teaching.explain puts them in the state);
nothing here computes anything about the network.
"""
import numpy as np
import pygame

from fnn.layers import KINDS

from fnnapp.views.theme import ACCENT, BAR, FG, GRID_LINE, MUTED, text
from fnnapp.views.tiles import diverging, gray, heat, per_map, tile, tile_grid

MAPS = 4                          # feature maps shown a layer (the first ones), large enough to read
CLIP = 99                         # gradients are shown up to this percentile of |value|
BRIGHTEST = f"brightest: the top {100 - CLIP} % of |values|"        # what CLIP means, in words


def clipped(v):
    """v divided by the CLIP-th percentile of |v|, clipped to [-1, 1]: the few largest entries
    of a gradient do not turn all the others black."""
    v = np.asarray(v, dtype=np.float64)
    top = np.percentile(np.abs(v), CLIP)
    return np.clip(v / (top if top > 0 else np.abs(v).max() or 1.0), -1.0, 1.0)


def ink_and_gradient(seen, G):
    """RGB (h, w, 3): the gradient's diverging colours over the input's ink, dimmed to grey;
    the 28x28 ink is averaged over blocks to a smaller map's size (14x14 after a 2x2 pool)."""
    G = np.asarray(G)
    k = seen.shape[0] // G.shape[0] if seen.shape[0] % G.shape[0] == 0 else 0
    if k == 0 or seen.shape[1] != k * G.shape[1]:
        return diverging(clipped(G))
    ink = seen.reshape(G.shape[0], k, G.shape[1], k).mean(axis=(1, 3))
    return np.maximum(diverging(clipped(G)), (gray(ink) * 0.35).astype(np.uint8))


def grad_panel(surface, rect, seen, explain, fonts):
    """G: the gradient of log p_c (c the answer) with respect to each pixel of the 28x28 image
    the network received, orange where more ink raises p_c, blue where it lowers it."""
    c, G = explain["c"], explain["G"]
    side = rect.h - 4
    box = pygame.Rect(rect.topleft, (side, side))
    tile(surface, box, G, lambda g: ink_and_gradient(seen, g))
    pygame.draw.rect(surface, MUTED, box.inflate(2, 2), 1)
    x = box.right + 14
    text(surface, fonts["text"], f"why {c}:", (x, rect.y), ACCENT)
    text(surface, fonts["text"], f"d log p({c}) / d pixel", (x, rect.y + 22), ACCENT)
    lines = ("orange: more ink here", f"raises p({c})", "blue: more ink here", f"lowers p({c})",
             "on the 28x28 input the", "network gets, not on the", "pad (mnistify moves it)",
             "brightest: the top 1 %", "G again: back")
    for i, line in enumerate(lines):
        text(surface, fonts["small"], line, (x, rect.y + 50 + 17 * i), FG if i < 4 else MUTED)


def spikes(surface, rect, values, signed=False):
    """A vector as one thin bar an entry across rect: heights by max |value| (up from the
    bottom, or up and down from the middle when signed), orange positive, blue negative."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    peak = float(np.abs(v).max()) or 1.0
    base = rect.centery if signed else rect.bottom
    half = rect.h // 2 if signed else rect.h
    pygame.draw.line(surface, GRID_LINE, (rect.x, base), (rect.right, base))
    w = rect.w / v.size
    for i, x in enumerate(v):
        h = round(abs(x) / peak * half)
        if h:
            top = base - h if x > 0 else base
            pygame.draw.rect(surface, ACCENT if x > 0 else BAR, (rect.x + round(i * w), top, max(1, round(w) - (w > 3)), h))


def _picture(surface, rect, a, signed, under=None):
    """An image-shaped (C, H, W) array as its first MAPS maps, a vector as spikes; one image
    (the input's) as large as the row, a gradient over the ink `under`."""
    if a.ndim == 3 and len(a) == 1:
        side = min(rect.w, rect.h)
        cmap = (lambda g: ink_and_gradient(under, g)) if signed else gray
        tile(surface, pygame.Rect(rect.topleft, (side, side)), a[0], cmap)
    elif a.ndim == 3:
        maps = a[:MAPS]
        if signed:                                          # each map over the ink, at its size
            tile_grid(surface, rect, list(maps), lambda g: ink_and_gradient(under, g), cols=MAPS,
                      gap=8, largest=96)
        else:                                               # each map by its own peak: none dim
            tile_grid(surface, rect, per_map(maps), heat, cols=MAPS, gap=8, largest=96)
    else:
        spikes(surface, rect, a, signed)


def _shape(a):
    return "(" + ", ".join(str(n) for n in a.shape) + ")"


def _name(spec):
    return KINDS[spec["type"]].title(spec)


def stages(ray):
    """The X-ray's steps grouped by layer with weights: [(weight step, [the steps after it up
    to the next one])]. The last group is the output layer."""
    groups = []
    for s in ray["steps"]:
        if s["l"] is not None or not groups:
            groups.append((s, []))
        else:
            groups[-1][1].append(s)
    return groups


def xray_view(surface, rect, ray, seen, fonts):
    """B: this drawing through the network. One row for the input (X and dX), one a layer with
    weights (its output A after the activation and pooling, the gradient dZ at its Z, the
    shapes, ||dW||, ||db|| and the docs/math.md line of dW), then BP1 with its ten numbers."""
    label = ray["label"]
    p = ray["probs"]
    big, font, small = fonts["big"], fonts["text"], fonts["small"]
    r = text(surface, big, f"backprop X-ray: label {label}", rect.topleft)
    text(surface, font, f"J = -log p({label}) = {-np.log(max(p[label], 1e-30)):.3g}    "
         f"predicted {int(p.argmax())} ({p.max():.1%})    0-9: label    B or Esc: back",
         (r.right + 24, rect.y + 6), MUTED)
    groups = stages(ray)
    rows = len(groups) + 1                                  # the input row, one a layer
    top = rect.y + 40
    bp1_h = 150
    row_h = (rect.bottom - top - bp1_h) // (rows - 1)
    pics_x = rect.x + 330
    pic_w = (rect.right - pics_x - 24) // 2
    line = small.get_height() + 3

    def row(r, title, detail, math, A, dZ, a_label, dz_label):
        yy = top + r * row_h
        text(surface, font, title, (rect.x, yy + 2), FG)
        for i, words in enumerate(detail):
            text(surface, small, words, (rect.x, yy + 26 + line * i), MUTED)
        text(surface, small, math, (rect.x, yy + 26 + line * len(detail)), ACCENT)
        for k, (a, lab, signed) in enumerate(((A, a_label, False), (dZ, dz_label, True))):
            box = pygame.Rect(pics_x + k * (pic_w + 24), yy + 24, pic_w, row_h - 30)
            text(surface, small, lab, (box.x, yy + 3), MUTED)
            _picture(surface, box, a, signed, under=seen)
        pygame.draw.line(surface, GRID_LINE, (rect.x, yy + row_h - 4), (rect.right, yy + row_h - 4))

    dX = ray["dX"].reshape(np.shape(seen))
    row(0, f"input X {_shape(seen)}", ["the 28x28 image the network gets"],
        ray["dX_math"], seen[None], dX[None], "X",
        "dX = dJ/dX: orange, more ink here raises J")
    for r, (w, after) in enumerate(groups[:-1], start=1):
        l = w["l"]
        A = (after[-1] if after else w)["out"]
        if A.ndim == 1 and after and after[-1]["spec"]["type"] == "flatten" and len(after) > 1:
            A = after[-2]["out"]                            # show the maps, not their flattening
        chain = ", ".join(_name(s["spec"]) for s in after)
        maps = A.ndim == 3 and len(A) > MAPS
        row(r, f"layer {l}: {_name(w['spec'])}",
            ([f"then {chain}"] if chain else []) +
            [f"Z[{l}] {_shape(w['out'])}   A[{l}] {_shape(A)}",
             f"||dW{l}|| = {w['dW_norm']:.3g}   ||db{l}|| = {w['db_norm']:.3g}"],
            w["math"], A, w["grad"], f"A[{l}]" + (f": {MAPS} of its {len(A)} maps" if maps else ""),
            f"dZ[{l}]: orange, a larger Z here raises J")
    # the output layer: BP1 with its numbers
    w, _ = groups[-1]
    L = w["l"]
    yy = top + (rows - 1) * row_h
    text(surface, font, f"layer {L}: {_name(w['spec'])} -> softmax    BP1:  dZ[{L}] = A[{L}] - Y"
         f"    ||dW{L}|| = {w['dW_norm']:.3g}", (rect.x, yy + 2), FG)
    cw = (rect.w - 60) // 10
    for d in range(10):
        x = rect.x + 60 + d * cw
        hot = d == label
        text(surface, font, str(d), (x + cw // 2, yy + 26), ACCENT if hot else FG, "midtop")
        text(surface, small, f"{p[d]:.3g}", (x + cw // 2, yy + 26 + line + 4), FG, "midtop")
        text(surface, small, f"{ray['Y'][d]:.0f}", (x + cw // 2, yy + 26 + 2 * line + 4), FG, "midtop")
        text(surface, small, f"{ray['dZL'][d]:+.3g}", (x + cw // 2, yy + 26 + 3 * line + 4),
             ACCENT if hot else FG, "midtop")
    for i, name in enumerate(("digit", f"A[{L}]", "Y", f"dZ[{L}]")):
        text(surface, small, name, (rect.x, yy + 28 + line * i + 4 * (i > 0)), MUTED)
    spikes(surface, pygame.Rect(rect.x + 60, yy + 30 + 4 * line, rect.w - 60, 28), ray["dZL"], signed=True)
