"""train.py --impl FILE and draw.py --impl FILE: the learner's own four functions (a copy of
exercises/network.py, checked by fnn.exercise) in place of fnn's.

    module = checked(path)                            # ImplError unless every check passes
    for rec in fit(module, params, X, y, ...): ...    # fnn.training.fit's records, their functions
    probs = predict_proba(module, params, X)          # A[L] through their forward

The loop is plain mini-batch gradient descent, as the exercise's update is:

    A[L], cache = forward(params, Xb);  grads = backward(params, cache, Yb);  params = update(params, grads, α)

and it yields the records fnn.training.fit yields (kind "step" and "epoch"), so train.py's
logging, its checks for a failing run, the --watch window (which may send {"lr_factor": f} and
{"stats": True}) and the model file work unchanged. The stats of a step are the gradient norm
and update ratio (fnn.analysis.stats); "dead" is None, since the learner's cache is theirs.
"""
import time

import numpy as np

import fnn
from fnn.analysis.stats import grad_norms, update_ratios
from fnn.training import heed
from fnn.exercise import check_file, learner

# What train.py --impl takes; every other option given is refused (refused_option).
ALLOWED = ("impl", "hidden", "epochs", "batch_size", "lr", "seed", "val_split", "train", "test",
           "max_rows", "out", "log_every", "watch", "compare", "lr_change")
LR, BATCH = 0.1, 32            # --lr, --batch-size with --impl (docs/exercise_run.md measures them)
PREDICT_COLUMNS = 2000         # columns a forward pass of predict_proba takes at a time
STEP_SECONDS = 60.0            # the time bound of one of the learner's calls while training


class ImplError(Exception):
    """--impl cannot go ahead; str(e) is one line (the checker's lines are in e.lines)."""
    def __init__(self, message, lines=()):
        super().__init__(message)
        self.lines = list(lines)


def checked(path):
    """The learner's module, after every check of fnn.exercise but the short training run
    passes; ImplError (with the checker's lines) otherwise."""
    try:
        report = check_file(path, train=False)
        module = learner.load(path)
    except learner.LoadError as e:
        raise ImplError(f"--impl: {e}") from None
    if report.code != 0:
        bad = sum(s != "pass" for s, _ in report.lines)
        raise ImplError(f"--impl {path}: {bad} of {len(report.lines)} checks do not pass "
                        f"(python -m fnn.exercise {path}): fix them first", report.text())
    return module


def given_options(build_parser, argv):
    """The options typed on the command line argv (even with their default value, as in
    --optimizer adam), by their dest names; list-valued ones (--train, --lr-change) left out."""
    parser = build_parser()
    values = vars(parser.parse_args(argv))
    unset = object()
    parser.set_defaults(**{k: unset for k, v in values.items() if not isinstance(v, list)})
    return [k for k, v in vars(parser.parse_args(argv)).items() if v is not unset]


def refused_option(given):
    """The first of the `given` options (given_options) that --impl does not take, as "--name"."""
    bad = [k for k in given if k not in ALLOWED]
    return "--" + bad[0].replace("_", "-") if bad else None


def refusal(option):
    takes = ", ".join("--" + k.replace("_", "-") for k in ALLOWED[1:])
    return (f"{option} does not go with --impl, which trains your own dense relu network with "
            f"plain gradient descent; it takes {takes}")


def init_params(module, layers, seed):
    """The learner's init_params for the dense sizes of `layers`, as float32 (what fit trains in)."""
    dims = [int(layers[0]["shape"][0])] + [s["units"] for s in layers if s["type"] == "dense"]
    if isinstance(seed, np.random.SeedSequence):      # an int for them: np.random.seed takes one too
        seed = int(seed.generate_state(1)[0])
    params = _call(module, "init_params", dims, seed)
    return {k: np.asarray(v, np.float32) for k, v in params.items()}


def check_dense(layers, name):
    """ImplError unless the layer list is the exercise's network: dense layers with relu between
    them and a softmax output (the model files of train.py --impl and data/mnist_mlp.npz are)."""
    kinds = [s["type"] for s in layers[1:]]
    want = ["dense", "relu"] * (len(kinds) // 2 - 1) + ["dense", "softmax"]
    if kinds != want:
        raise ImplError(f"--impl: {name} is not a dense relu network with a softmax output "
                        f"({'-'.join(kinds)}); your forward reads those, e.g. data/mnist_mlp.npz "
                        f"or a model of train.py --impl")


def probs_of(module, params, image):
    """The learner's A[L] (10,) for one 28x28 image (what the pad's network receives); ImplError
    when their forward raises or its answer is not 10 finite probabilities."""
    AL = np.asarray(_call(module, "forward", params, np.asarray(image, np.float32).reshape(-1, 1))[0])
    if AL.shape != (10, 1) or not np.isfinite(AL).all():
        raise ImplError(f"--impl: your forward gave A[L] of shape {AL.shape}"
                        + ("" if AL.shape != (10, 1) else " with NaN or inf") + " for a drawing")
    return AL[:, 0]


def step(module, params, X, Y, lr):
    """One step of the learner's functions: A[L], cache = forward(params, X); grads =
    backward(params, cache, Y); new = update(params, grads, lr). -> (A[L], grads, new), each
    checked as the loop uses it (the checker saw them behave, but on other calls they may
    not): A[L] an array of Y's shape, grads a dict, new a dict of float arrays with
    params' names and shapes. ImplError (one line) otherwise."""
    out = _call(module, "forward", params, X)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise ImplError(f"--impl: forward returned {type(out).__name__}, not the pair (A[L], cache)")
    AL = np.asarray(out[0]) if isinstance(out[0], np.ndarray) else None
    if AL is None or AL.shape != Y.shape or AL.dtype.kind != "f":
        raise ImplError(f"--impl: forward returned A[L] {_what(out[0])}, not floats of shape {Y.shape}")
    grads = _call(module, "backward", params, out[1], Y)
    if not isinstance(grads, dict):
        raise ImplError(f"--impl: backward returned {type(grads).__name__}, not a dict of gradients")
    new = _call(module, "update", params, grads, lr)
    bad = (f"returned {type(new).__name__}" if not isinstance(new, dict) else
           next((f"returned {k} {_what(new.get(k))}, not floats of shape {v.shape}"
                 for k, v in params.items() if not (isinstance(new.get(k), np.ndarray)
                                                   and new[k].shape == v.shape
                                                   and new[k].dtype.kind == "f")), None))
    if bad is not None:
        raise ImplError(f"--impl: update {bad}: it returns the new params, a dict like params")
    return AL, grads, new


def _what(value):
    return (f"of shape {value.shape} ({value.dtype})" if isinstance(value, np.ndarray)
            else f"of type {type(value).__name__}")


def _call(module, name, *args):
    try:
        return learner.call(module, name, *args, seconds=STEP_SECONDS)
    except (learner.Raised, learner.NotWritten) as e:
        raise ImplError(f"--impl: {e}") from None


def predict_proba(module, params, X):
    """A[L] (10, m) of the learner's forward, PREDICT_COLUMNS columns at a time."""
    parts = [np.asarray(_call(module, "forward", params, X[:, j:j + PREDICT_COLUMNS])[0])
             for j in range(0, X.shape[1], PREDICT_COLUMNS)]
    return np.concatenate(parts, axis=1) if parts else np.zeros((10, 0), np.float32)


def fit(module, params, X, y, epochs=1, batch_size=128, lr=LR, X_val=None, y_val=None, seed=0,
        lr_changes=()):
    """Train params with the learner's forward, backward and update; a generator of
    fnn.training.fit's records (see its docstring), including what a caller may send."""
    shuffle = np.random.default_rng(seed)
    changes = tuple((int(i), float(f)) for i, f in lr_changes)
    Y = fnn.one_hot(y, 10, X.dtype)
    m, t, start = X.shape[1], 0, time.perf_counter()
    stats = False
    for epoch in range(1, epochs + 1):
        order = shuffle.permutation(m)
        for j in range(0, m, batch_size):
            idx = order[j:j + batch_size]
            t += 1
            alpha = lr * float(np.prod([f for i, f in changes if i <= t]))
            AL, grads, new = step(module, params, X[:, idx], Y[:, idx], alpha)
            rec = {"kind": "step", "iteration": t, "epoch": epoch, "loss": fnn.cross_entropy(AL, y[idx]),
                   "acc": float(np.mean(np.argmax(AL, axis=0) == y[idx])), "lr": alpha,
                   "params": new, "lr_changes": changes}
            if stats:
                norms, ratios = grad_norms(grads), update_ratios(params, new)
                rec["stats"] = {k: {"grad_norm": norms[k], "update_ratio": ratios[k], "dead": None}
                                for k in sorted(norms, key=lambda k: int(k[1:]))}
            params = new
            changes, stats = heed((yield rec), changes, t)
        val_acc = None
        if X_val is not None and len(y_val):
            val_acc = float(np.mean(predict_proba(module, params, X_val).argmax(axis=0) == y_val))
        changes, stats = heed((yield {"kind": "epoch", "epoch": epoch, "iteration": t,
                                       "val_acc": val_acc, "params": params, "lr_changes": changes,
                                       "elapsed": time.perf_counter() - start}), changes, t)

