"""The pad's network at work on the drawing, as pure state -> state functions of fnnapp.views.app.

    s = update_prediction(state)     # the prediction (analyse) and the open view (explain)
    s = toggle_view(s, "grad")       # G: d log p_c / d pixel;  B ("xray"): every layer
    s = teach_digit(s, 7)            # "this is a 7": a few steps (fnn.digits.teach), Ctrl-Z undoes
    s = start_teaching(s, 7)         # the same, one step a teach_step(s), for a window to draw
    s = keep_digit(s)                # K: the labelled drawing into the handwriting CSV
    s = what_if(s, 7)                # W 7: what would make it a 7 (fnn.counterfactual)
    s = toggle_nearest(s)            # N: the nearest training digits (fnn.analysis.nearest)

One module because each teaching changes the model, so it predicts again and re-explains.
No pygame here: the functions take and return the plain dict of fnnapp.views.app.new_state.
"""
import os

import numpy as np

import fnn
from fnn.activations import ACTIVATIONS
from fnn.io import files
from fnn.io.data import DataError, load_csv
from fnn.analysis import nearest
from fnn.analysis.calibration import model_temperature, scale, scaled_params
from fnn.analysis.counterfactual import counterfactual
from fnn.analysis.explain import log_prob_gradient, xray
from fnn.digits.preprocess import INK_THRESHOLD, mnistify
from fnn.digits.teach import STEPS, append_digit, teach
from fnnapp.cli.paths import beside_model
from fnnapp.cli.words import count
from fnnapp.views.canvas import GRID, is_empty

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repo: fnnapp/views/ up two
MODELS = os.path.join(ROOT, "models")   # where Ctrl-S saves a taught model (never data/)
TRAIN_CSV = os.path.join(ROOT, "data", "mnist_train.csv.gz")  # N's training digits, by default
NEAREST_K = 8                    # training digits N shows
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
      CNN: {"kind": "maps", "a": (F, H, W)} the first convolution's feature maps after relu.
    probs are softmax(Z / T) with the temperature T of the model's meta (1 if none)."""
    params, layers, meta = model
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
    T = model_temperature(meta)
    probs = AL[:, 0] if T == 1.0 else scale(AL, T)[:, 0].astype(AL.dtype)
    return {"probs": probs, "seen": x.reshape(GRID, GRID), "inside": inside}


def update_prediction(state):
    """A new state with the prediction for the current canvas, or none if it is empty."""
    s = dict(state, dirty=False, probs=None, seen=None, inside=None, whatif=None)
    if not is_empty(s["canvas"]) and s["model"] is not None:
        try:
            s.update(analyse(s["model"], s["canvas"]))
        except NotFinite as e:                       # shown in the panel instead of a prediction
            s["message"] = str(e)
    return explain(judge(s))


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
    """A digit key: the X-ray's label while the X-ray is open, else start_teaching."""
    return explain(dict(state, label=digit)) if state["view"] == "xray" else start_teaching(state, digit)


def teach_digit(state, digit):
    """Digit key d after a prediction: "this drawing is a d". A few gradient steps on it, mixed
    with replayed MNIST digits (fnn.digits.teach.teach); the old model goes on the undo list."""
    s = start_teaching(state, digit)
    while s.get("teaching") is not None:
        s = teach_step(s)
    return s


def start_teaching(state, digit):
    """The state of a teaching about to start ("teaching": digit, params so far, step, the
    replay draws' generator state), or a message why it cannot: teach_step does the steps."""
    if state["seen"] is None:
        return dict(state, message="draw a digit first, then press the digit it is")
    s = replay_digits(state)
    if s["replay"] is None:
        return s
    rng = np.random.default_rng(len(s["undo"]))          # the same teachings, the same params
    return dict(s, teaching={"digit": digit, "params": s["model"][0], "step": 0, "begun": False,
                             "rng": rng.bit_generator.state})


def teach_step(state):
    """One of the STEPS steps of fnn.digits.teach.teach (steps=1 from the saved generator
    state, so STEPS of them give teach's params exactly); after the last one the taught model
    replaces the old one, which goes on the undo list."""
    job = state["teaching"]
    if not job["begun"]:           # a first turn shows "step 0" before the first step's work
        return dict(state, teaching=dict(job, begun=True))
    params, layers, meta = state["model"]
    rng = np.random.default_rng()
    rng.bit_generator.state = job["rng"]
    new = teach(job["params"], layers, state["seen"].reshape(-1), job["digit"], *state["replay"],
                rng, steps=1)
    job = dict(job, params=new, step=job["step"] + 1, rng=rng.bit_generator.state)
    if job["step"] < STEPS:
        return dict(state, teaching=job)
    digit, before = job["digit"], state["probs"]
    s = update_prediction(dict(state, model=(new, layers, meta), undo=state["undo"] + [state["model"]],
                               label=digit, before=before, teaching=None))
    s["message"] = (f"taught {digit}: p({digit}) {before[digit]:.0%} -> {s['probs'][digit]:.0%}"
                    f"  (Ctrl-Z undoes it)")
    return s


def stop_teaching(state):
    """Esc while teaching: the steps so far are dropped, the model stays as it was."""
    return dict(state, teaching=None, message="teaching stopped: the model is as it was")


def unsaved(state):
    """How many teachings the model has that no file holds (0 after Ctrl-S or full undo)."""
    return 0 if state.get("saved_model") is state["model"] else len(state["undo"])


def undo(state):
    """Ctrl-Z: back to the model before the last teaching, exactly (the same dict)."""
    if not state["undo"]:
        return dict(state, message="nothing to undo")
    s = update_prediction(dict(state, model=state["undo"][-1], undo=state["undo"][:-1],
                               before=None))
    return dict(s, message=f"undone: {count(len(s['undo']), 'teaching')} left")


def keep_digit(state):
    """K: append the drawing, as the network saw it, with its label to the handwriting CSV."""
    if state["seen"] is None or state["label"] is None:
        return dict(state, message="press the digit this is (0-9) first, then K to keep it")
    try:
        n = append_digit(state["digits"], state["seen"], state["label"])
    except DataError as e:
        return dict(state, message=str(e))
    return dict(state, message=f"kept as {state['label']}: {count(n, 'digit')} in "
                               f"{files.shown(state['digits'])}")


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
    return dict(state, message=f"saved {path}", saved_model=state["model"], saved_as=path)


# ---- what would make it a d (W), the nearest training digits (N), not a digit -------------------

def ask_target(state):
    """W: the next digit key names the target of what_if."""
    if state["seen"] is None:
        return dict(state, message="draw a digit first, then W and a digit")
    return dict(state, pending="whatif", message="what would make it a ...? press a digit")


def what_if(state, digit):
    """W then d: fnn.counterfactual moves the network's input towards d until the calibrated
    p(d) passes 0.5; the state keeps the new input and p(d) before and after."""
    params, layers, meta = state["model"]
    calibrated = scaled_params(params, model_temperature(meta))     # p(d) as the bars show it
    x = state["seen"].reshape(-1, 1)
    new = counterfactual(calibrated, x, np.array([digit]), layers)
    p = fnn.predict_proba(calibrated, np.hstack([x, new]), layers)[digit]
    changed = int((np.abs(new - x) > 0.1).sum())
    return dict(state, pending=None, aside="whatif", message="",
                whatif={"target": digit, "new": new.reshape(GRID, GRID), "before": float(p[0]),
                        "after": float(p[1]), "changed": changed})


def open_bank(state, build):
    """The state with its model's nearest-digits bank (fnn.analysis.nearest), read from the
    cache beside the model file, or (build) made from the training CSV and cached there.
    Tried once per model: "bank_for" is the params it was tried for."""
    params, layers, _ = state["model"]
    if state["bank_for"] is params and (state["bank"] is not None or not build):
        return state
    s = dict(state, bank=None, bank_for=params)
    if not state["model_name"]:
        return s
    path, csv = beside_model(state["model_name"], nearest.ENDING), state["nearest_csv"]
    try:
        bank = None
        if os.path.exists(path):
            bank = nearest.load_cache(path, nearest.params_hash(params), nearest.file_hash(csv))
        if bank is None and build:
            print(f"building the nearest-digits cache {path} from {csv} (once)", flush=True)
            X, y = load_csv(csv, labels=True)
            bank = nearest.build(params, layers, X, y)
            nearest.save_cache(path, bank, nearest.params_hash(params), nearest.file_hash(csv), csv)
            print(f"saved {path}", flush=True)
    except (nearest.CacheError, DataError) as e:
        return dict(s, message=str(e))
    except OSError as e:
        return dict(s, message=f"{path}: {e.strerror or e}")
    if bank is not None:
        bank["features"] = bank["features"].astype(np.float32)       # searched at every prediction
    return dict(s, bank=bank)


def look_up(state):
    """The NEAREST_K training digits nearest to the drawing in A[L-1]: {"images" (k, 28, 28),
    "labels" (k,), "dist" (k,)}, or None without a bank."""
    bank = state["bank"]
    if bank is None or state["seen"] is None:
        return None
    params, layers, _ = state["model"]
    idx, dist = nearest.search(bank["features"], nearest.features(params, state["seen"].reshape(-1, 1), layers),
                               NEAREST_K)
    return {"images": bank["images"][idx[:, 0]].reshape(-1, GRID, GRID) / 255.0,
            "labels": bank["labels"][idx[:, 0]], "dist": dist[:, 0]}


def toggle_nearest(state):
    """N: show (building the bank the first time) or hide the nearest training digits."""
    if state["aside"] == "nearest":
        return dict(state, aside=None)
    if state["seen"] is None:
        return dict(state, message="draw a digit first, then N")
    s = open_bank(state, build=True)
    if s["bank"] is None:
        return s if s["message"] else dict(s, message="no nearest digits: the model has no file to cache them beside")
    return dict(s, aside="nearest", nearest=look_up(s))


def judge(state):
    """The drawing's nearest training digits (when the bank is open) and the not-a-digit rule
    (fnn.analysis.nearest.doubt): "doubt" is why it does not look like a digit, or None."""
    if state["probs"] is None:
        return dict(state, doubt=None, nearest=None)
    s = open_bank(state, build=False)
    near = look_up(s)
    ink = int((s["canvas"] > INK_THRESHOLD).sum())
    d_max = float(s["bank"]["d_max"]) if near is not None else None
    why = nearest.doubt(ink, float(s["probs"].max()), near and float(near["dist"][0]), d_max)
    return dict(s, nearest=near, doubt=why)
