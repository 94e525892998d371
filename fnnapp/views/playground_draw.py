"""The playground's frame: where everything is (layout) and one drawing of it (render).

    hits = layout(state)          # [(Rect, action), ...]: what a click at a point does
    render(surface, state, fonts) # the whole frame, computed from the state alone

Colours follow the repo's diverging map: orange positive (class 1), blue negative (class 0),
green the third class. Every unit's picture comes from one forward pass over a GRID x GRID
grid of the plane (playground_model.plane_view), kept in the state until the weights change.
"""
import os

import numpy as np
import pygame

from fnn import datasets
from fnnapp.views import playground_model as M
from fnnapp.views.chart import Series, chart
from fnnapp.views.theme import ACCENT, BAR_BG, BG, DARK, FG, GRID_LINE, MUTED, text

WIDTH, HEIGHT = 1280, 800
GRID = 64                                        # points a side of the plane's grid
TILE = 40                                        # px a side of a unit's picture
NET = pygame.Rect(190, 150, 700, 420)            # the network's columns
OUT = pygame.Rect(905, 150, 360, 360)            # the output's picture of the plane
CURVES = pygame.Rect(895, 560, 380, 200)
INSPECT = pygame.Rect(10, 590, 875, 180)         # a unit's equation, or the help
EXPLAIN = pygame.Rect(190, 110, 695, 660)        # the BP1-BP4 view, over the network
# all 7 features over the grid, each over its largest |value|, (7, GRID, GRID): the feature
# column shows them all, the unused ones dimmed
_F = datasets.features(datasets.grid(GRID), tuple(datasets.FEATURES)).reshape(-1, GRID, GRID)
FEATURE_MAPS = _F / np.abs(_F).max(axis=(1, 2), keepdims=True)
POS, NEG = np.array([255, 170, 60], np.float32), np.array([80, 150, 255], np.float32)
CLASS_RGB = np.array([NEG, POS, [70, 200, 110]], np.float32)
BUTTON, BUTTON_ON = (48, 52, 66), (84, 96, 130)

# the controls row: (field, label); a click moves the value to the next (right click: previous)
CHIPS = (("lr", "learning rate"), ("batch", "batch size"), ("activation", "activation"),
         ("reg", "regularisation"), ("reg_rate", "its rate"), ("optimizer", "optimizer"),
         ("seed", "seed"))
HELP = ("Space play/pause   N one step   R reset (same seed)   Shift+R next seed   S save the model",
        "D / Shift+D dataset   Z / X noise   1-7 features   = / - add / remove a layer",
        ". / , add / remove a unit (selected layer, else the last)   A activation   Up/Down rate",
        "B batch   G regularisation   [ / ] its rate   O optimizer   T test points   E explain a step",
        "Click a unit for its equation at the point under the mouse; move over the plane to pick a point.",
        "Esc closes the equation or explanation, then quits.")


# ---- where things are -------------------------------------------------------------------

def columns(cfg):
    """The x of each column of units: the features, the hidden layers, the output."""
    n = len(cfg.hidden) + 2
    first, last = NET.x + 10, NET.right - TILE - 10
    return [round(first + (last - first) * c / (n - 1)) for c in range(n)]


def unit_rects(cfg):
    """[[Rect of each unit] for each column]; column 0 holds all 7 features (off ones dimmed)."""
    xs, sizes = columns(cfg), [len(datasets.FEATURES), *cfg.hidden, M.outputs(cfg)]
    top = NET.y + 40
    return [[pygame.Rect(x, top + i * (TILE + 6), TILE, TILE) for i in range(n)]
            for x, n in zip(xs, sizes)]


def active_rects(cfg):
    """unit_rects with only the features in use in column 0, in the order the network sees them."""
    rects = unit_rects(cfg)
    names = list(datasets.FEATURES)
    return [[rects[0][names.index(f)] for f in cfg.features]] + rects[1:]


def layout(state):
    """[(Rect, action)] of everything clickable. Actions are tuples: ("play",), ("field", name),
    ("dataset", name), ("feature", name), ("layer", +1 / -1), ("units", l, +1 / -1), ("unit", l, i)."""
    cfg = state["run"].cfg
    hits = [(pygame.Rect(10 + 92 * k, 52, 86, 40), (a,)) for k, a in enumerate(("play", "step", "reset"))]
    hits += [(pygame.Rect(300 + 122 * k, 52, 116, 40), ("field", f)) for k, (f, _) in enumerate(CHIPS)]
    hits.append((pygame.Rect(1160, 52, 110, 40), ("save",)))
    hits += [(pygame.Rect(10, 150 + 30 * k, 160, 26), ("dataset", d)) for k, d in enumerate(datasets.DATASETS)]
    hits += [(pygame.Rect(10, 420 + 50 * k, 160, 40), ("field", f)) for k, f in enumerate(("noise", "train"))]
    hits += [(pygame.Rect(10, 520, 160, 40), ("explain",))]
    rects = unit_rects(cfg)
    hits += [(r, ("feature", f)) for r, f in zip(rects[0], datasets.FEATURES)]
    hits += [(pygame.Rect(NET.x + 310, NET.y - 34, 28, 26), ("layer", 1)),
             (pygame.Rect(NET.x + 342, NET.y - 34, 28, 26), ("layer", -1))]
    for l, col in enumerate(rects[1:-1], start=1):
        hits += [(pygame.Rect(col[0].x - 4, NET.y + 6, 22, 22), ("units", l, 1)),
                 (pygame.Rect(col[0].x + 22, NET.y + 6, 22, 22), ("units", l, -1))]
    for l, col in enumerate(rects[1:], start=1):
        hits += [(r, ("unit", l, i)) for i, r in enumerate(col)]
    return hits


def to_plane(pos):
    """A screen point over OUT -> the point u (2,) of the plane."""
    fx, fy = (pos[0] - OUT.x) / OUT.w, (pos[1] - OUT.y) / OUT.h
    return np.array([(2 * fx - 1) * datasets.RANGE, (1 - 2 * fy) * datasets.RANGE])


def to_screen(U):
    """Points U (2, m) of the plane -> their pixel columns and rows over OUT, (m,) each."""
    r = datasets.RANGE
    return OUT.x + (U[0] + r) / (2 * r) * OUT.w, OUT.y + (r - U[1]) / (2 * r) * OUT.h


# ---- colours of the plane ------------------------------------------------------------------

_LEVELS = np.linspace(-1, 1, 256, dtype=np.float32)[:, None]
SIGNED = (np.maximum(_LEVELS, 0) * POS + np.maximum(-_LEVELS, 0) * NEG).astype(np.uint8)   # (256, 3)


def signed_rgb(v):
    """Values in [-1, 1] -> (..., 3) uint8: orange for +1, black for 0, blue for -1, through
    the 256-colour table SIGNED (a lookup, not arithmetic on every pixel)."""
    return SIGNED[np.clip((np.asarray(v, np.float32) + 1) * 127.5 + 0.5, 0, 255).astype(np.uint8)]


def unit_values(A, activation):
    """The units' activations over the grid, A (n, side, side) -> values in [-1, 1] for
    signed_rgb: tanh as it is, sigmoid as 2A - 1 (0.5 is the middle), relu and linear each
    over its own largest |A|."""
    if activation == "tanh":
        return A
    if activation in ("sigmoid", "softmax"):
        return 2 * A - 1
    return A / (np.abs(A).max(axis=(1, 2), keepdims=True) + 1e-12)


def output_rgb(AL):
    """The output over the grid, AL (n[L], side, side) -> (side, side, 3): one sigmoid unit as
    signed colour of 2A - 1; a softmax as the class colours mixed by their probabilities."""
    if AL.shape[0] == 1:
        return signed_rgb(2 * AL[0] - 1)
    return (np.tensordot(AL, CLASS_RGB[:AL.shape[0]], axes=(0, 0)) * 0.85).astype(np.uint8)


def picture(surface, rect, rgb, smooth=False):
    """Blit an (h, w, 3) picture, row 0 at the top, scaled into rect."""
    img = pygame.surfarray.make_surface(np.ascontiguousarray(rgb.transpose(1, 0, 2)))
    scale = pygame.transform.smoothscale if smooth else pygame.transform.scale
    surface.blit(scale(img, rect.size), rect)


# ---- the frame ---------------------------------------------------------------------------------

def button(surface, rect, label, fonts, on=False, value=None):
    pygame.draw.rect(surface, BUTTON_ON if on else BUTTON, rect, border_radius=5)
    if value is None:
        text(surface, fonts["text"], label, rect.center, FG, "center")
    else:
        text(surface, fonts["small"], label, (rect.centerx, rect.y + 3), MUTED, "midtop")
        text(surface, fonts["text"], value, (rect.centerx, rect.bottom - 3), FG, "midbottom")


def shown(cfg, field):
    v = getattr(cfg, field)
    return f"{v:g}" if isinstance(v, float) else str(v)


def render(surface, state, fonts):
    """Draw the whole frame for `state` (playground.new_state) into surface."""
    run, cfg = state["run"], state["run"].cfg
    surface.fill(BG)
    k = M.classes(cfg)
    kind = f"{k} classes" if k else "regression (MSE)"
    text(surface, fonts["big"], "fnn playground", (10, 8), FG)
    status = (f"step {run.step:,}    {cfg.dataset}, {kind}    seed {cfg.seed}    "
              f"{'training' if state['playing'] else 'paused'}"
              + (f"    your functions: {os.path.basename(cfg.impl)}" if cfg.impl else ""))
    text(surface, fonts["text"], status, (250, 16), ACCENT if state["playing"] else FG)
    labels = {"play": "pause" if state["playing"] else "play", "step": "step", "reset": "reset"}
    names = dict(CHIPS, noise="noise", train="train share")
    for rect, action in layout(state):
        a = action[0]
        if a in labels:
            button(surface, rect, labels[a], fonts, a == "play" and state["playing"])
        elif a == "field":
            button(surface, rect, names[action[1]], fonts, value=shown(cfg, action[1]))
        elif a == "save":
            button(surface, rect, "save (S)", fonts)
        elif a == "dataset":
            button(surface, rect, action[1], fonts, action[1] == cfg.dataset)
        elif a == "explain":
            button(surface, rect, "explain a step (E)", fonts, state["explain"])
    text(surface, fonts["small"], "DATA", (10, 130), MUTED)
    maps = view(state)
    if state["explain"]:
        explain_view(surface, state, fonts)
    else:
        network_view(surface, state, maps, fonts)
        inspector(surface, state, fonts)
    output_view(surface, state, maps, fonts)
    curves(surface, run, fonts)
    if state["message"]:
        text(surface, fonts["small"], state["message"], (10, HEIGHT - 24), ACCENT)


def view(state):
    """plane_view of the state's weights, computed once a set of weights (kept in state["cache"])."""
    run, cache = state["run"], state["cache"]
    if cache.get("params") is not run.params:
        cache.clear()
        cache.update(params=run.params, maps=M.plane_view(run, GRID))
    return cache["maps"]


def network_view(surface, state, maps, fonts):
    """The columns of units, each unit's picture of the plane, the connections between them."""
    run, cfg = state["run"], state["run"].cfg
    text(surface, fonts["small"], f"{len(cfg.hidden)} hidden layer{'s' * (len(cfg.hidden) != 1)}"
         f" (at most {M.MAX_LAYERS}, {M.MAX_UNITS} units each)", (NET.x, NET.y - 28), MUTED)
    rects, used = unit_rects(cfg), active_rects(cfg)
    wmax = max(float(np.abs(run.params[f"W{l}"]).max()) for l in range(1, len(used))) + 1e-12
    for l in range(1, len(used)):                         # connections first, under the tiles
        W = run.params[f"W{l}"]
        for j, r in enumerate(used[l]):
            for i, q in enumerate(used[l - 1]):
                w = float(W[j, i])
                pygame.draw.line(surface, tuple(int(c) for c in (POS if w > 0 else NEG)),
                                 q.midright, r.midleft, 1 + int(5 * abs(w) / wmax))
    for f, r, rgb in zip(datasets.FEATURES, rects[0], signed_rgb(FEATURE_MAPS)):
        on = f in cfg.features
        picture(surface, r, rgb if on else rgb // 4)
        text(surface, fonts["small"], f, (r.x - 4, r.centery), FG if on else MUTED, "midright")
    for l, col in enumerate(used[1:], start=1):
        act = cfg.activation if l < len(used) - 1 else run.layers[-1]["type"]
        rgb = signed_rgb(unit_values(maps[l], act))              # the whole column at once
        for i, r in enumerate(col):
            picture(surface, r, rgb[i])
            if state["selected"] == (l, i):
                pygame.draw.rect(surface, ACCENT, r.inflate(6, 6), 3)
        name = "output" if l == len(used) - 1 else f"{len(col)} {act}"
        text(surface, fonts["small"], name, (col[0].centerx, col[-1].bottom + 3), MUTED, "midtop")
    text(surface, fonts["small"], "features", (rects[0][0].centerx, NET.y + 12), MUTED, "midtop")
    for rect, action in layout(state):
        if action[0] in ("layer", "units"):
            pygame.draw.rect(surface, BUTTON, rect, border_radius=4)
            text(surface, fonts["text"], "+" if action[-1] > 0 else "-", rect.center, FG, "center")


def output_view(surface, state, maps, fonts):
    """The output over the plane with the training points (white rims) and test points (dark rims)."""
    run, cfg = state["run"], state["run"].cfg
    hover = state["hover"]
    if hover is None:
        title, rgb = "OUTPUT    white rims: train points, dark rims: test", output_rgb(maps[-1])
    else:                                  # the unit under the mouse, large (as TF Playground)
        l, i = hover
        act = cfg.activation if l <= len(cfg.hidden) else run.layers[-1]["type"]
        title, rgb = f"layer {l}, unit {i + 1} ({act}) over the plane", signed_rgb(unit_values(maps[l][i:i + 1], act))[0]
    text(surface, fonts["small"], title, (OUT.x, OUT.y - 20), ACCENT if hover else MUTED)
    picture(surface, OUT, rgb, smooth=True)
    U_tr, y_tr, U_te, y_te = run.data
    sets = [(U_tr, y_tr, FG)] + ([(U_te, y_te, (10, 10, 10))] if state["show_test"] else [])
    for U, y, rim in sets:
        px, py = to_screen(U)
        fill = signed_rgb(2 * y - 1) if M.classes(cfg) == 0 else CLASS_RGB[y].astype(np.uint8)
        for x_, y_, c in zip(px, py, fill):
            pygame.draw.circle(surface, tuple(int(v) for v in c), (x_, y_), 4)
            pygame.draw.circle(surface, rim, (x_, y_), 4, 1)
    probe = state["probe"]
    if probe is not None:
        x_, y_ = to_screen(probe[0].reshape(2, 1))
        pygame.draw.circle(surface, ACCENT, (float(x_[0]), float(y_[0])), 8, 2)
    pygame.draw.rect(surface, GRID_LINE, OUT, 1)
    s = M.scores(run)
    row = [f"{k} {v:.4f}" if "loss" in k else f"{k} {v:.3f}" for k, v in s.items()]
    text(surface, fonts["text"], "   ".join(row[:2]), (OUT.x, OUT.bottom + 8), FG)
    if len(row) > 2:
        text(surface, fonts["text"], "   ".join(row[2:]), (OUT.x, OUT.bottom + 30), FG)


def curves(surface, run, fonts):
    """Train and test loss over the steps so far on a log axis, where the last tenfold falls
    show as much as the first (fnnapp.views.chart)."""
    h = np.asarray(run.history, np.float64)
    series = [Series(h[:, 0], h[:, 1], (150, 150, 160), 2, "train loss"),
              Series(h[:, 0], h[:, 2], ACCENT, 2, "test loss")]
    chart(surface, CURVES, series, fonts, (0, max(run.step, 1)), log=True, xlabel="step",
          palette=DARK)


def _vec(v, n=8):
    """The first n entries of v as "[+0.12 -0.53]", or "[+1.20 -5.30] x 1e-3" when all are small."""
    v = np.ravel(np.asarray(v, np.float64))
    top = float(np.abs(v).max()) if v.size else 0.0
    e = int(np.floor(np.log10(top))) if 0 < top < 0.1 else 0
    body = " ".join(f"{x / 10.0 ** e:+.2f}" for x in v[:n]) + (" ..." if v.size > n else "")
    return f"[{body}]" + (f" x 1e{e}" if e else "")


def _label(y):
    """"label 2" for a class, "target 0.544" for a regression target."""
    return f"label {y}" if isinstance(y, (int, np.integer)) else f"target {y:.3f}"


def inspector(surface, state, fonts):
    """The selected unit's equation with the numbers of the probe point, or the help."""
    pygame.draw.rect(surface, BAR_BG, INSPECT, border_radius=6)
    x, y, small, font = INSPECT.x + 10, INSPECT.y + 8, fonts["small"], fonts["text"]
    sel, probe, run = state["selected"], state["probe"], state["run"]
    if sel is None or probe is None:
        for i, line in enumerate(HELP):
            text(surface, small, line, (x, y + 20 * i), MUTED if i else FG)
        return
    l, i = sel
    u, label, where = probe
    rows = M.explain_point(run, u, label)
    r, L = rows[l - 1], len(rows)
    act = run.cfg.activation if l < L else run.layers[-1]["type"]
    point = f"point ({u[0]:+.2f}, {u[1]:+.2f})" + (f", {where} {_label(label)}" if label is not None else "")
    text(surface, font, f"layer {l}, unit {i + 1} ({act}) at the {point}", (x, y), ACCENT)
    w, a = r["W"][i], r["A_prev"][:, 0]
    terms = [f"{wk:+.2f} x {ak:+.2f}" for wk, ak in zip(w, a)]
    z = float(r["Z"][i, 0])
    lines = ["z = w . a + b = " + "  ".join(terms[:4])]
    if len(terms) > 4:
        lines.append("      " + "  ".join(terms[4:]))
    lines[-1] += f"  {float(r['b'][i, 0]):+.2f}  =  {z:+.3f}"
    lines.append(f"a = {act}(z) = {float(r['A'][i, 0]):.3f}"
                 + ("   (softmax: over all output units)" if act == "softmax" else ""))
    if "dZ" in r:
        how = "BP1: dZ = A[L] - Y" if l == L else "BP2: dZ = (W[l+1].T dZ[l+1]) * g'(z)"
        lines.append(f"dZ of this point's loss = {float(r['dZ'][i, 0]):+.4f}   ({how})")
    else:
        lines.append("dZ: move the mouse onto a training or test point for its label")
    if run.last is not None:
        lines.append(f"last step: db = mean dZ over the batch = {float(run.last[f'db{l}'][i, 0]):+.4f},"
                     f"  |dW row| = {float(np.abs(run.last[f'dW{l}'][i]).sum()):.4f}")
    for k, line in enumerate(lines):
        text(surface, font, line, (x, y + 30 + 26 * k), FG)


def explain_view(surface, state, fonts):
    """BP1-BP4 for the probe point, output layer first: the numbers of one step of backprop."""
    pygame.draw.rect(surface, BAR_BG, EXPLAIN, border_radius=6)
    run, probe = state["run"], state["probe"]
    x, y, small, font = EXPLAIN.x + 10, EXPLAIN.y + 8, fonts["small"], fonts["text"]
    if probe is None or probe[1] is None:
        text(surface, font, "explain a step: move the mouse onto a training point first", (x, y), FG)
        return
    u, label, where = probe
    rows = M.explain_point(run, u, label)
    L = len(rows)
    text(surface, font, f"one step of backprop for the {where} point ({u[0]:+.2f}, {u[1]:+.2f}), "
         f"{_label(label)}  (m = 1)", (x, y), ACCENT)
    y += 28
    text(surface, small, f"forward: Z[l] = W[l] A[l-1] + b[l], A[l] = g(Z[l]);   A[0] = the features "
         f"{_vec(rows[0]['A_prev'])}", (x, y), MUTED)
    y += 22
    for l in range(L, 0, -1):
        r = rows[l - 1]
        g = run.cfg.activation if l < L else run.layers[-1]["type"]
        dW = r["dW"]
        side = max(2, min(8, 64 // max(dW.shape)))
        box = pygame.Rect(EXPLAIN.right - 10 - side * dW.shape[1], y + 4, side * dW.shape[1], side * dW.shape[0])
        picture(surface, box, signed_rgb(dW / (np.abs(dW).max() + 1e-12)))
        if l == L:
            bp = f"BP1  dZ[{l}] = A[{l}] - Y = {_vec(r['dZ'])}"
        else:
            bp = f"BP2  dZ[{l}] = (W[{l + 1}].T dZ[{l + 1}]) * {g}'(Z[{l}]) = {_vec(r['dZ'])}"
        lines = [(f"layer {l} ({g})   Z[{l}] = W[{l}] A[{l - 1}] + b[{l}] = {_vec(r['Z'])}", 0, FG),
                 (f"A[{l}] = {g}(Z[{l}]) = {_vec(r['A'])}", 20, FG), (bp, 20, ACCENT),
                 (f"BP3  db[{l}] = dZ[{l}]       BP4  dW[{l}] = dZ[{l}] A[{l - 1}].T  "
                  f"({dW.shape[0]} x {dW.shape[1]}, at the right)", 20, MUTED)]
        for s, indent, colour in lines:
            y = _wrapped(surface, small, s, (x + indent, y), box.x - 8, colour)
        y = max(y, box.bottom) + 6
    text(surface, small, f"then every weight: W[l] := W[l] - {run.cfg.lr:g} dW[l] (sgd; "
         f"{run.cfg.optimizer} here), averaged over a batch of {run.cfg.batch}", (x, y), MUTED)


def _wrapped(surface, font, s, pos, right, colour):
    """Draw s at pos; a line that would run past x = right breaks before its " = [" (the
    vector goes on the next line, indented). -> the y below what was drawn."""
    x, y = pos
    head, sep, vector = s.rpartition(" = [")
    if font.size(s)[0] <= right - x or not sep:
        text(surface, font, s, (x, y), colour)
        return y + 17
    text(surface, font, head + " =", (x, y), colour)
    text(surface, font, "[" + vector, (x + 40, y + 17), colour)
    return y + 34
