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
from fnnapp.views.teaching import (MODELS, TRAIN_CSV, ask_target, digit_key, keep_digit, save_taught,
                                   stop_teaching, teach_step, toggle_nearest, toggle_view, undo, unsaved,
                                   update_prediction, what_if)
from fnnapp.cli.words import count

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
        "pending": None,         # "whatif" after W: the next digit key is the target
        "whatif": None,          # W d: fnn.counterfactual's new input and p(d) (teaching.what_if)
        "nearest": None,         # the nearest training digits (teaching.look_up)
        "doubt": None,           # why the drawing does not look like a digit, or None
    }


def new_state(model=None, model_name="", digits=None, impl=None, nearest_csv=None):
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
            "teaching": None,    # a teaching under way, one step a turn (fnnapp.views.teaching)
            "saved_model": None,  # the model Ctrl-S last saved, and where (saved_as)
            "saved_as": None,
            "quit_armed": False,  # Esc was pressed once with taught, unsaved changes
            "digits": digits or os.path.relpath(DEFAULT_DIGITS),   # the CSV that K appends to
            "aside": None,       # what the panel shows below the bars: None, "whatif" or "nearest"
            "bank": None, "bank_for": None,    # the nearest-digits bank and the params it is for
            "nearest_csv": nearest_csv or os.path.relpath(TRAIN_CSV)}   # the bank's training CSV


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
    """Esc: close the open view (G, B) first, then the pad; with taught changes no file holds,
    the first Esc says what would be lost and a second one quits."""
    if state["view"]:
        return toggle_view(state, state["view"])
    n = unsaved(state)
    if n and not state["quit_armed"]:
        return dict(state, quit_armed=True, message=f"{count(n, 'teaching')} unsaved: Esc again "
                    f"quits, Ctrl-S saves")
    return dict(state, running=False)


# the keys, by pygame.key.name; the digit keys go to fnnapp.views.teaching.digit_key
KEYS = {"s": predict, "c": clear, "backspace": clear, "l": toggle_live, "escape": close,
        "g": lambda s: toggle_view(s, "grad"), "b": lambda s: toggle_view(s, "xray"), "k": keep_digit,
        "w": ask_target, "n": toggle_nearest}
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
    if state["teaching"] is not None:                 # Esc stops it; the rest waits for the end
        escape = t == pygame.KEYDOWN and event.key == pygame.K_ESCAPE
        return stop_teaching(state) if escape else state
    if t == pygame.KEYDOWN:
        name = pygame.key.name(event.key)
        if state["quit_armed"] and name != "escape":
            state = dict(state, quit_armed=False)
        if event.mod & pygame.KMOD_CTRL and name in CTRL_KEYS:
            return CTRL_KEYS[name](state)
        if name.isdigit() and state["pending"] == "whatif":
            return what_if(state, int(name))
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
    """Once a turn: a teaching's next step (fnnapp.views.teaching.teach_step); in live mode,
    predict a changed drawing, during a stroke at most every LIVE_INTERVAL s."""
    if state["teaching"] is not None:
        return teach_step(state)
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
