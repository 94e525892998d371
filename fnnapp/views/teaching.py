"""The pad's network at work on the drawing, as pure state -> state functions of fnnapp.views.app.

    s = update_prediction(state)     # the prediction (analyse) and the open view (explain)
    s = toggle_view(s, "grad")       # G: d log p_c / d pixel;  B ("xray"): every layer
    s = teach_digit(s, 7)            # "this is a 7": a few steps (fnn.digits.teach), Ctrl-Z undoes
    s = keep_digit(s)                # K: the labelled drawing into the handwriting CSV

One module because each teaching changes the model, so it predicts again and re-explains.
No pygame here: the functions take and return the plain dict of fnnapp.views.app.new_state.
"""
import os

import numpy as np

import fnn
from fnn.activations import ACTIVATIONS
from fnn.io import files
from fnn.io.data import DataError, load_csv
from fnn.analysis.explain import log_prob_gradient, xray
from fnn.digits.preprocess import mnistify
from fnn.digits.teach import append_digit, teach
from fnnapp.views.canvas import GRID, is_empty

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repo: fnnapp/views/ up two
MODELS = os.path.join(ROOT, "models")   # where Ctrl-S saves a taught model (never data/)
REPLAY_ROWS = 2000               # MNIST training digits a teaching draws its replay batches from
NOT_FINITE = "the model's output is not finite (its weights overflow)"


class NotFinite(ValueError):
    """The model's output on the drawing is not finite (NOT_FINITE)."""


def first_hidden(cache):
    """The output A of the network's first hidden activation, from fnn.forward's cache."""
    for spec, A in zip(cache["layers"][1:-1], cache["out"][1:-1]):
        if spec["type"] in ACTIVATIONS:
            return A
    return None


def analyse(model, canvas):
    """One forward pass for the pad: {"probs": (10,), "seen": (28, 28), "inside": view or None}.
    The inside view is the first hidden layer's output A (first_hidden):
      MLP: {"kind": "units", "a": (n1,), "weights": W1 rows (k, 28, 28) of the k most active units}
      CNN: {"kind": "maps", "a": (F, H, W)} the first convolution's feature maps after relu."""
    params, layers, _ = model
    x = mnistify(canvas)
    with np.errstate(over="ignore", invalid="ignore"):       # reported once, below
        AL, cache = fnn.forward(params, x.reshape(-1, 1), layers)
    if not np.isfinite(AL).all():
        raise NotFinite(NOT_FINITE)
    A, inside = first_hidden(cache), None
    if A is not None and A.ndim == 2:
        a, W1 = A[:, 0], params["W1"]
        top = np.argsort(-a)[:4]
        weights = W1[top].reshape(-1, GRID, GRID) if W1.ndim == 2 else None
        inside = {"kind": "units", "a": a, "weights": weights}
    elif A is not None and A.ndim == 4:
        inside = {"kind": "maps", "a": A[..., 0]}
    return {"probs": AL[:, 0], "seen": x.reshape(GRID, GRID), "inside": inside}


def update_prediction(state):
    """A new state with the prediction for the current canvas, or none if it is empty."""
    s = dict(state, dirty=False, probs=None, seen=None, inside=None)
    if not is_empty(s["canvas"]) and s["model"] is not None:
        try:
            s.update(analyse(s["model"], s["canvas"]))
        except NotFinite as e:                       # shown in the panel instead of a prediction
            s["message"] = str(e)
    return explain(s)


def explain(state):
    """The open view's numbers for the current drawing (None when no view or no drawing):
    "grad": (c, G (28, 28)), G = d log p_c / d pixel of the network's input (fnn.analysis.explain);
    "xray": fnn.analysis.explain.xray with the user's label (or the predicted class)."""
    if state["view"] is None or state["seen"] is None:
        return dict(state, explain=None)
    params, layers, _ = state["model"]
    x = state["seen"].reshape(-1)
    if state["view"] == "grad":
        c, G = log_prob_gradient(params, x, layers)
        return dict(state, explain={"c": c, "G": G.reshape(GRID, GRID)})
    return dict(state, explain=xray(params, x, layers, state["label"]))


def toggle_view(state, view):
    """G or B: open that view, or close it if it is open (a view needs a drawing to show)."""
    if state["view"] != view and state["seen"] is None:
        return dict(state, message="draw a digit first")
    return explain(dict(state, view=None if state["view"] == view else view))


def replay_digits(state):
    """The state with its replay set loaded (once): the first REPLAY_ROWS training digits."""
    if state["replay"] is not None:
        return state
    path = os.path.join(ROOT, "data", "mnist_train.csv.gz")
    try:
        return dict(state, replay=load_csv(path, max_rows=REPLAY_ROWS, labels=True))
    except DataError as e:
        return dict(state, message=f"cannot teach without replay digits: {e}")


def digit_key(state, digit):
    """A digit key: the X-ray's label while the X-ray is open, else teach_digit."""
    return explain(dict(state, label=digit)) if state["view"] == "xray" else teach_digit(state, digit)


def teach_digit(state, digit):
    """Digit key d after a prediction: "this drawing is a d". A few gradient steps on it, mixed
    with replayed MNIST digits (fnn.digits.teach.teach); the old model goes on the undo list."""
    if state["seen"] is None:
        return dict(state, message="draw a digit first, then press the digit it is")
    s = replay_digits(state)
    if s["replay"] is None:
        return s
    params, layers, meta = s["model"]
    rng = np.random.default_rng(len(s["undo"]))          # the same teachings, the same params
    new = teach(params, layers, s["seen"].reshape(-1), digit, *s["replay"], rng)
    before = s["probs"]
    s = update_prediction(dict(s, model=(new, layers, meta), undo=s["undo"] + [s["model"]],
                               label=digit, before=before))
    s["message"] = (f"taught {digit}: p({digit}) {before[digit]:.0%} -> {s['probs'][digit]:.0%}"
                    f"   Ctrl-Z undo, K keep, Ctrl-S save")
    return s


def undo(state):
    """Ctrl-Z: back to the model before the last teaching, exactly (the same dict)."""
    if not state["undo"]:
        return dict(state, message="nothing to undo")
    s = update_prediction(dict(state, model=state["undo"][-1], undo=state["undo"][:-1],
                               before=None))
    return dict(s, message=f"undone: {len(s['undo'])} teaching(s) left")


def keep_digit(state):
    """K: append the drawing, as the network saw it, with its label to the handwriting CSV."""
    if state["seen"] is None or state["label"] is None:
        return dict(state, message="press the digit this is (0-9) first, then K to keep it")
    try:
        n = append_digit(state["digits"], state["seen"], state["label"])
    except DataError as e:
        return dict(state, message=str(e))
    return dict(state, message=f"kept as {state['label']}: {n} digit(s) in {state['digits']}")


def save_taught(state):
    """Ctrl-S: the taught model to a new file models/<name>-taught-<k>.npz (never over one)."""
    if not state["undo"]:
        return dict(state, message="nothing taught yet: nothing to save")
    params, layers, meta = state["model"]
    stem = os.path.splitext(os.path.basename(state["model_name"]))[0] or "model"
    k = 1
    while os.path.exists(path := os.path.relpath(os.path.join(MODELS, f"{stem}-taught-{k}.npz"))):
        k += 1
    try:
        fnn.save(files.check_one(path, "taught", "Ctrl-S"), params, layers, meta={**meta, "taught_from": state["model_name"],
                                               "teachings": len(state["undo"])})
    except (OSError, ValueError) as e:
        return dict(state, message=f"{path}: cannot save ({e})")
    return dict(state, message=f"saved {path}")
