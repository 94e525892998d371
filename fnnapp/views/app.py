"""The pad as plain data (new_state) changed by pure functions: handle_event(state, event) ->
the next state, the old one not modified. What the network makes of the drawing (the
prediction, G, B, teaching) are fnnapp.views.teaching's state -> state functions."""
import os

import numpy as np
import pygame

from fnnapp.cli.impl import ImplError, probs_of
from fnnapp.views.canvas import BRUSH_RADIUS, ERASER_RADIUS, GRID, paint
from fnnapp.views.inputs import AppError, classify_image
from fnnapp.views.pad import to_cells
from fnnapp.views.teaching import (MODELS, digit_key, keep_digit, save_taught, toggle_view, undo,
                         update_prediction)

LIVE_INTERVAL = 0.1              # s between live predictions while a stroke is being drawn
DEFAULT_DIGITS = os.path.join(MODELS, "my_digits.csv")       # the handwriting set K appends to
BUTTONS = {1: "draw", 3: "erase"}                            # mouse button -> stroke


def drawing():
    """The state of one drawing, blank: what C starts afresh."""
    return {
        "canvas": np.zeros((GRID, GRID), np.float32),
        "probs": None,           # (10,) last prediction, None = nothing to show ("draw a digit")
        "seen": None,            # (28, 28) what the network received
        "inside": None,          # the hidden layer view (see fnnapp.views.teaching.analyse)
        "stroke": None,          # None, "draw" or "erase" while a mouse button is held
        "last": None,            # previous mouse position of the stroke, in cells
        "dirty": False,          # canvas changed since the last prediction
        "message": "",           # one line shown under the prediction
        "label": None,           # the digit the user said this drawing is
        "before": None,          # (10,) probabilities before the last teaching
        "explain": None,         # what the open view shows: fnn.analysis.explain's results for this drawing
    }


def new_state(model=None, model_name="", digits=None, impl=None):
    """The whole app: a blank drawing, the model and the pad's settings."""
    return {**drawing(), "model": model, "model_name": model_name,
            "impl": impl,        # draw.py --impl: the learner's module, whose forward predicts
            "live": True,        # predict as you draw
            "mouse": None,       # mouse position on screen, for the brush outline
            "next_live": 0.0,    # time of the next live prediction during a stroke
            "running": True,
            "view": None,        # None, "grad" (G: d log p / d pixel) or "xray" (B: every layer)
            "undo": [],          # the models before each teaching, last one last (Ctrl-Z)
            "replay": None,      # (X, y) MNIST training digits mixed into every teaching
            "digits": digits or os.path.relpath(DEFAULT_DIGITS)}   # the CSV that K appends to


def clear(state):
    return {**state, **drawing()}


def predict(state):
    """S: predict now, and say so on stdout, one line a prediction (for scripts)."""
    s = through_impl(state, update_prediction(dict(state, message="")))
    if s["probs"] is not None:
        print(f"prediction: {int(s['probs'].argmax())} ({s['probs'].max():.1%})", flush=True)
    return s


def toggle_live(state):
    s = dict(state, live=not state["live"])
    return update_prediction(s) if s["live"] else s


def close(state):
    """Esc: close the open view (G, B) first, then the pad."""
    return toggle_view(state, state["view"]) if state["view"] else dict(state, running=False)


# the keys, by pygame.key.name; the digit keys go to fnnapp.views.teaching.digit_key
KEYS = {"s": predict, "c": clear, "backspace": clear, "l": toggle_live, "escape": close,
        "g": lambda s: toggle_view(s, "grad"), "b": lambda s: toggle_view(s, "xray"), "k": keep_digit}
CTRL_KEYS = {"z": undo, "s": save_taught}


def handle_event(state, event):
    """One pygame event -> a new state."""
    return through_impl(state, _handle_event(state, event))


def through_impl(before, state):
    """draw.py --impl: a new prediction's probabilities from the learner's forward, on the image
    fnn's network received (the inside view, G, B and teaching stay fnn's: docs/exercises.md)."""
    if state.get("impl") is None or state["probs"] is None or state["probs"] is before["probs"]:
        return state
    try:
        return dict(state, probs=probs_of(state["impl"], state["model"][0], state["seen"]))
    except ImplError as e:
        return dict(state, probs=None, message=str(e))


def _handle_event(state, event):
    t = event.type
    if t == pygame.QUIT:
        return dict(state, running=False)
    if t == pygame.KEYDOWN:
        name = pygame.key.name(event.key)
        if event.mod & pygame.KMOD_CTRL and name in CTRL_KEYS:
            return CTRL_KEYS[name](state)
        if name.isdigit():
            return digit_key(state, int(name))
        return KEYS[name](state) if name in KEYS else state
    if t == pygame.DROPFILE:
        return load_dropped(state, event.file)
    if state["view"] == "xray" and t in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEMOTION):
        return state                                  # the X-ray covers the canvas: no painting
    if t == pygame.MOUSEBUTTONDOWN and event.button in BUTTONS:          # a stroke starts
        state = dict(state, stroke=BUTTONS[event.button], last=None)
    if t == pygame.MOUSEMOTION and state["stroke"] is None:              # or is dragged in
        held = event.buttons
        state = dict(state, stroke="draw" if held[0] else "erase" if held[2] else None)
    if t in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEMOTION):
        s = dict(state, mouse=event.pos)
        return stroke_to(s, event.pos) if s["stroke"] else s
    if t == pygame.MOUSEBUTTONUP and event.button in BUTTONS:       # the stroke ends: refresh predicts
        return dict(state, stroke=None, last=None, next_live=0.0)
    return state


def stroke_to(state, pos):
    """Paint (or erase) from the stroke's last position to pos; a new drawing has no label yet."""
    x, y = to_cells(pos)
    erase = state["stroke"] == "erase"
    canvas = paint(state["canvas"], x, y, ERASER_RADIUS if erase else BRUSH_RADIUS,
                   erase=erase, prev=state["last"])
    changed = not np.array_equal(canvas, state["canvas"])
    return dict(state, canvas=canvas, last=(x, y), dirty=state["dirty"] or changed,
                label=None if changed else state["label"])


def refresh(state, now):
    """Once a turn, in live mode: predict a changed drawing, during a stroke at most every
    LIVE_INTERVAL s."""
    if state["live"] and state["dirty"] and now >= state["next_live"]:
        return through_impl(state, dict(update_prediction(state), next_live=now + LIVE_INTERVAL))
    return state


def load_dropped(state, path):
    """DROPFILE: the file's preprocessed digit on the pad, with its prediction."""
    try:
        digit, p, result = classify_image(state["model"], path, state.get("impl"))
    except AppError as e:
        return dict(state, message=str(e))
    print(f"{path}: {digit} ({p:.1%})", flush=True)
    return dict(state, **result, canvas=result["seen"].copy(), dirty=False,
                message=f"{os.path.basename(path)}: {digit} ({p:.0%})")
