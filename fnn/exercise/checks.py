"""The checks of the learner's four functions, in the order they are written (docs/exercises.md):

    init_params  shapes, dtypes, He's scale per layer (fan-in), the seed           §5
    forward      A[L] against fnn.forward on the same params; softmax at z ~ 1e3   §1
    backward     each gradient against finite differences and fnn.backward          BP1-BP4
    update       the rule, and the caller's params left as they were                §4
    training     a few hundred steps on an MNIST slice must learn

Each check is one line, "pass", "FAIL" (what is wrong, naming the equation of docs/math.md),
"todo" (the stub still raises NotImplementedError) or "skip" (it needs an earlier check).
A wrong answer is compared with the classic mistakes (fnn.exercise.mistakes) to name the one
made. The networks are tiny and float64, so finite differences are exact to ~1e-9.
"""
import os

import numpy as np

import fnn
from fnn.exercise import learner, mistakes
from fnn.gradcheck import numerical_gradients, relative_error

PASS, FAIL, TODO, SKIP = "pass", "FAIL", "todo", "skip"
TOL = 1e-5                     # relative error of a right answer (float64; finite differences ~1e-9)
DIMS, M = [6, 5, 4, 3], 7      # no two sizes alike: a transposed array has the wrong shape
SQUARE, SQUARE_M = [4, 4, 4, 4], 4   # every product fits: W instead of W.T is a wrong number instead
INIT_DIMS = [784, 128, 64, 10]
SCALE_TOL = 0.1                # the std of W[l] within 10 % of He's (100,352 entries for W1)
BIG_Z = 1e3                    # softmax's stability check: exp(1000) overflows float64
TRAIN_ROWS, HELD_OUT, STEPS, BATCH, LR, TRAIN_DIMS = 1000, 500, 300, 50, 0.1, [784, 32, 10]
LEARNS = 0.8                   # held-out accuracy the short run must reach (chance: 10 %)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MNIST = os.path.join(ROOT, "data", "mnist_train.csv.gz")


class Report:
    """The lines of a check run; code: 0 all pass, 1 otherwise."""
    def __init__(self):
        self.lines = []

    def add(self, status, text):
        self.lines.append((status, text))
        return status == PASS

    @property
    def code(self):
        return 0 if all(s == PASS for s, _ in self.lines) else 1

    def text(self):
        return [f"{s:4}  {t}" for s, t in self.lines]


def check_file(path, train=True):
    """Run every check on the learner's file -> Report. learner.LoadError when it cannot be used.
    train=False leaves out the short training run (train.py --impl is one itself)."""
    module = learner.load(path)
    r = Report()
    _section(r, check_init, module, r)
    forward_ok = _section(r, check_forward, module, r)
    if forward_ok:
        _section(r, check_backward, module, r)
    else:
        r.add(SKIP, "BP1-BP4 backward: once forward passes (backward reads its cache)")
    _section(r, check_update, module, r)
    if train:
        if r.code == 0:
            _section(r, check_training, module, r)
        else:
            r.add(SKIP, "training: once every check above passes")
    return r


def _section(r, check, *args):
    """check(*args) -> passed; a function not written yet or raising ends it with one line."""
    try:
        return bool(check(*args))
    except learner.NotWritten as e:
        return r.add(TODO, str(e))
    except learner.Raised as e:
        return r.add(FAIL, str(e))
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as e:   # an odd return value
        what = check.__name__.replace("check_", "")
        return r.add(FAIL, f"{what}: cannot read what your function returned ({type(e).__name__}: {e}); "
                           f"see the shapes in exercises/network.py")


def problem(dims, m, seed):
    """Float64 (params, X, Y): He-scaled weights, NONZERO biases (so a forgotten b shows),
    X (n0, m) standard normal, Y (n[L], m) one-hot."""
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * np.sqrt(2.0 / dims[l - 1])
        params[f"b{l}"] = rng.normal(0.0, 0.5, (dims[l], 1))
    X = rng.standard_normal((dims[0], m))
    Y = fnn.one_hot(rng.integers(0, dims[-1], m), dims[-1], np.float64)
    return params, X, Y


def _close(a, b):
    return a.shape == b.shape and relative_error(a, b) < TOL


# ---- §5 init_params --------------------------------------------------------------------------

def check_init(module, r):
    dims, L = INIT_DIMS, len(INIT_DIMS) - 1
    params = learner.call(module, "init_params", dims, 0)
    call = f"init_params({dims})"
    if not isinstance(params, dict):
        return r.add(FAIL, f"§5: {call} returned a {type(params).__name__}, expected a dict "
                           f"{{'W1': ..., 'b1': ..., ...}}")
    want = [f"{p}{l}" for l in range(1, L + 1) for p in "Wb"]
    if sorted(map(str, params)) != sorted(want):
        return r.add(FAIL, f"§5: {call} has the keys {', '.join(map(str, params))}; expected "
                           f"{', '.join(want)}")
    problems = [p for l in range(1, L + 1) for p in _init_shape(params, dims, l)]
    if problems:
        for p in problems:
            r.add(FAIL, p)
        return False
    dtype = np.asarray(params["W1"]).dtype
    r.add(PASS, f"§5: {call}: W[l] (n[l], n[l-1]), b[l] (n[l], 1), {dtype}")
    problems = [p for l in range(1, L + 1) for p in _init_scale(params, dims, l, L)]
    for p in problems:
        r.add(FAIL, p)
    if not problems:
        stds = ", ".join(f"W{l} {np.std(params[f'W{l}']):.3g}" for l in range(1, L + 1))
        r.add(PASS, f"§5 He: std of {stds}, about sqrt(2 / n[l-1]); biases 0")
    again = learner.call(module, "init_params", dims, 0)
    other = learner.call(module, "init_params", dims, 1)
    same = lambda p, q: all(np.array_equal(p[k], q.get(k)) for k in want)   # noqa: E731
    if not (isinstance(again, dict) and same(params, again)):
        return r.add(FAIL, "§5: init_params(dims, seed=0) twice gave different weights: draw "
                           "them from rng = np.random.default_rng(seed)")
    if isinstance(other, dict) and same(params, other):
        return r.add(FAIL, "§5: seed=1 gave the same weights as seed=0: draw them from "
                           "rng = np.random.default_rng(seed)")
    return r.add(PASS, "§5: the same seed gives the same weights, another seed others") and not problems


def _init_shape(params, dims, l):
    """The problems with the shapes and dtypes of W[l] and b[l], as lines."""
    out = []
    for key, want in ((f"W{l}", (dims[l], dims[l - 1])), (f"b{l}", (dims[l], 1))):
        a = np.asarray(params[key])
        if a.shape != want:
            why = ("W[l] is (n[l], n[l-1]), one row per unit of layer l" if key[0] == "W" else
                   "b[l] is a column (n[l], 1), added to every column of W[l] @ A[l-1]")
            out.append(f"§5: {key} has shape {a.shape}, expected {want}: {why}")
        elif not np.issubdtype(a.dtype, np.floating):
            out.append(f"§5: {key} has dtype {a.dtype}, expected floats (float64 or float32)")
    return out


def _init_scale(params, dims, l, L):
    """The problems with W[l]'s spread (He: std sqrt(2 / n[l-1])) and b[l] (zeros), as lines."""
    W, b = np.asarray(params[f"W{l}"], np.float64), np.asarray(params[f"b{l}"])
    std, fan_in, fan_out = float(W.std()), dims[l - 1], dims[l]
    he = np.sqrt(2.0 / fan_in)
    near = lambda target: abs(std / target - 1) < SCALE_TOL                 # noqa: E731
    out = []
    if std == 0:
        out.append(f"§5: W{l} is all {float(W.flat[0]):g}: every unit would compute the same and "
                   f"learn the same (symmetry); draw W[l] ~ N(0, 2 / n[l-1])")
    elif not (near(he) or (l == L and near(np.sqrt(2.0 / (fan_in + fan_out))))):
        if near(np.sqrt(2.0 / fan_out)):
            why = f"that is sqrt(2 / n[{l}]), the fan-out; He divides by the fan-in n[{l - 1}] = {fan_in}"
        elif near(1.0):
            why = f"N(0, 1) unscaled; multiply by sqrt(2 / n[{l - 1}])"
        elif near(np.sqrt(1.0 / fan_in)):
            why = "that is sqrt(1 / n[l-1]); He's variance for relu is 2 / n[l-1]"
        else:
            why = f"He's is sqrt(2 / n[{l - 1}]) = sqrt(2 / {fan_in})"
        out.append(f"§5 He: W{l} has std {std:.3g}, expected {he:.3g}: {why}")
    elif abs(float(W.mean())) > 0.1 * he:
        out.append(f"§5 He: W{l} has mean {float(W.mean()):.3g}, expected 0: N(0, 2 / n[l-1]) is "
                   f"centred (rng.standard_normal, not rng.random)")
    if np.any(b != 0):
        out.append(f"§5: b{l} is not zero: biases start at 0")
    return out


# ---- §1 forward ----------------------------------------------------------------------------

def learner_forward(module, params, X):
    """(A[L] as float64, cache) from the learner's forward; Raised when it does not return a pair."""
    out = learner.call(module, "forward", params, X)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise learner.Raised(f"forward returned a {type(out).__name__}, expected the pair (AL, cache)")
    return np.asarray(out[0], np.float64), out[1]


def check_forward(module, r):
    params, X, _ = problem(DIMS, M, seed=1)
    L = len(DIMS) - 1
    AL, _ = learner_forward(module, params, X)
    want = fnn.forward(params, X)[0]
    if AL.shape != want.shape:
        why = "one example per column" if AL.shape == want.T.shape else "(n[L], m)"
        return r.add(FAIL, f"§1: A{L} has shape {AL.shape}, expected {want.shape}: {why}")
    if not _close(AL, want):
        return r.add(FAIL, _forward_mistake(params, X, AL, want, L))
    r.add(PASS, f"§1 forward: A{L} matches fnn.forward (relative error {relative_error(AL, want):.0e})")
    big = dict(params, **{f"b{L}": BIG_Z * np.linspace(1, -1, DIMS[-1]).reshape(-1, 1)})
    AL, _ = learner_forward(module, big, X)
    want = fnn.forward(big, X)[0]
    if not np.isfinite(AL).all():
        return r.add(FAIL, f"§1 Softmax output: A{L} has NaN or inf at z ~ {BIG_Z:g}: exp(z) overflows; "
                           f"subtract each column's max from Z{L} first, softmax(z) = softmax(z - max z)")
    if not _close(AL, want):
        return r.add(FAIL, f"§1 Softmax output: at z ~ {BIG_Z:g} A{L} differs from fnn.forward "
                           f"(relative error {relative_error(AL, want):.2g}): no clipping, only the shift")
    return r.add(PASS, f"§1 softmax: stable at z ~ {BIG_Z:g} (no overflow, the same A{L})")


def _forward_mistake(params, X, AL, want, L):
    """The line for a wrong A[L]: the classic mistake it matches, or what is wrong with it."""
    for name, message in mistakes.FORWARD.items():
        if _close(AL, mistakes.forward_with(params, X, name)):
            return message(L)
    if not np.isfinite(AL).all():
        return f"§1: A{L} has NaN or inf on ordinary inputs (|Z| < 10)"
    if not np.allclose(AL.sum(axis=0), 1):
        return f"§1 softmax: the columns of A{L} do not sum to 1: A[L] = softmax(Z[L]), one distribution per column"
    return (f"§1: A{L} differs from fnn.forward (relative error {relative_error(AL, want):.2g}): "
            f"check Z[l] = W[l] @ A[l-1] + b[l] and A[l] = relu(Z[l]) layer by layer")


# ---- §3 backward, BP1-BP4 ------------------------------------------------------------------

def learner_grads(module, params, X, Y):
    """The learner's grads for (params, X, Y) through their own forward's cache."""
    _, cache = learner_forward(module, params, X)
    grads = learner.call(module, "backward", params, cache, Y.copy())
    if not isinstance(grads, dict):
        raise learner.Raised(f"backward returned a {type(grads).__name__}, expected a dict "
                             f"{{'dW1': ..., 'db1': ..., ...}}")
    return grads


def check_backward(module, r):
    params, X, Y = problem(DIMS, M, seed=2)
    try:
        grads = learner_grads(module, params, X, Y)
    except learner.Raised as e:
        r.add(FAIL, f"BP1-BP4: {e}")
        _diagnose_square(module, r)
        return False
    lines = judge_grads(grads, params, X, Y, numeric=True)
    return all([r.add(status, line) for status, line in lines])


def _diagnose_square(module, r):
    """After a crash on DIMS: on SQUARE every product fits, so a mistake of which matrix or
    which layer gives numbers instead, and judge_grads can name it."""
    params, X, Y = problem(SQUARE, SQUARE_M, seed=3)
    try:
        grads = learner_grads(module, params, X, Y)
    except (learner.Raised, learner.NotWritten):
        return
    for status, line in judge_grads(grads, params, X, Y, numeric=False):
        if status == FAIL:
            r.add(FAIL, f"{line} (seen on a {'-'.join(map(str, SQUARE))} network, where the shapes fit)")


def judge_grads(grads, params, X, Y, numeric):
    """[(status, line)] for each parameter, last layer first: the learner's gradient against
    fnn.backward and (numeric=True) central differences of J, or the mistake it matches."""
    truth = fnn.backward(params, fnn.forward(params, X)[1], Y)
    if numeric:
        J = lambda p: fnn.cross_entropy(fnn.forward(p, X)[0], Y)              # noqa: E731
        fd = numerical_gradients(J, params)
    made = {name: mistakes.backward_with(params, X, Y, name) for name in mistakes.BACKWARD}
    L, m = len(params) // 2, X.shape[1]
    lines, said = [], set()
    for l in range(L, 0, -1):
        for k in (f"dW{l}", f"db{l}"):
            eq = "BP4" if k[1] == "W" else "BP3"
            G = truth[k]
            if k not in grads:
                lines.append((FAIL, f"{eq}: backward's dict has no {k!r} (it returns dW[l] and db[l] for every layer)"))
                continue
            g = np.asarray(grads[k], np.float64)
            if g.shape != G.shape:
                lines.append((FAIL, _shape_line(eq, k, g.shape, G.shape)))
                continue
            errors = (relative_error(g, fd[k]) if numeric else None, relative_error(g, G))
            if max(e for e in errors if e is not None) < TOL:
                vs = f"finite differences {errors[0]:.0e}, " if numeric else ""
                lines.append((PASS, f"{eq} {k}: matches {vs}fnn.backward {errors[1]:.0e}"))
                continue
            line = _grad_mistake(eq, k, l, L, m, g, G, made)
            if line is None:
                line = (f"{eq}: {k} differs from the true gradient (relative error {errors[1]:.2g})"
                        + ("" if l == L else f": if the layers above are right, look at BP2 from "
                                              f"dZ{l + 1} down to dZ{l}"))
            if line in said:
                line = f"{eq}: {k} is wrong too, by the mistake above"
            said.add(line)
            lines.append((FAIL, line))
    return lines


def _shape_line(eq, k, got, want):
    if eq == "BP3":
        return f"BP3: {k} has shape {got}, expected {want}: sum over the examples, axis=1, keepdims=True"
    l = int(k[2:])
    if got == want[::-1]:
        return f"BP4: {k} has shape {got}, expected {want}: dW[l] = (1/m) dZ[l] @ A[l-1].T, shaped like W[l]"
    if got == (want[0], want[0]):
        return (f"BP4: {k} has shape {got}, expected {want}: dW{l} = (1/m) dZ{l} @ A{l - 1}.T, with "
                f"the activation of the layer before, A{l - 1}, not A{l}")
    return f"BP4: {k} has shape {got}, expected {want}, the shape of W{k[2:]}"


def _grad_mistake(eq, k, l, L, m, g, G, made):
    """The line naming the mistake that gives g instead of G, or None."""
    near = lambda other: other is not None and _close(g, other)             # noqa: E731
    if near(m * G):
        return f"{eq}: {k} is m times too large: did you divide by m?"
    if near(G / m):
        return f"{eq}: {k} is m times too small: divide by m once"
    if near(-G):
        return mistakes.BACKWARD["sign"](l, L)
    if G.shape[0] == G.shape[1] and eq == "BP4" and near(G.T):
        return f"BP4: {k} is transposed: dZ{l} @ A{l - 1}.T, not A{l - 1} @ dZ{l}.T"
    for name, grads in made.items():
        if grads is not None and near(grads[k]):
            return mistakes.BACKWARD[name](l, L)
    if relative_error(g, G) < 1e-3:
        return (f"{eq}: {k} is close (relative error {relative_error(g, G):.1e}) but not to float64 "
                f"precision: keep the params' dtype (the checker passes float64)")
    return None


# ---- §4 update -----------------------------------------------------------------------------

def check_update(module, r):
    params, X, Y = problem(DIMS, M, seed=4)
    grads = fnn.backward(params, fnn.forward(params, X)[1], Y)
    before = {k: v.copy() for k, v in params.items()}
    lr = 0.1
    new = learner.call(module, "update", params, grads, lr)
    if not isinstance(new, dict) or sorted(new) != sorted(params):
        what = f"keys {', '.join(map(str, new))}" if isinstance(new, dict) else f"a {type(new).__name__}"
        return r.add(FAIL, f"§4 update: returned {what}, expected a dict with {', '.join(params)}")
    wrong = []
    for k, p in before.items():
        v, g = np.asarray(new[k], np.float64), grads["d" + k]
        if v.shape != p.shape:
            wrong.append(f"§4 update: {k} has shape {v.shape}, expected {p.shape}")
        elif not _close(v, p - lr * g):
            wrong.append(f"§4 update: {k} " + (
                "moved the wrong way: W := W - α dW" if _close(v, p + lr * g) else
                f"moved by d{k} itself: multiply it by the learning rate α" if _close(v, p - g) else
                "did not move" if _close(v, p) else
                f"is not {k} - α d{k} (relative error {relative_error(v, p - lr * g):.2g})"))
    if wrong:
        r.add(FAIL, wrong[0] + (f" (and {len(wrong) - 1} more like it)" if len(wrong) > 1 else ""))
    else:
        r.add(PASS, f"§4 update: W := W - α dW, b := b - α db for {', '.join(params)}")
    changed = [k for k in before if not np.array_equal(params[k], before[k])]
    if changed:
        return r.add(FAIL, f"§4 update: changed the caller's {', '.join(changed)} in place: return a "
                           f"new dict, {{k: v - learning_rate * grads['d' + k] for k, v in params.items()}}")
    return r.add(PASS, "§4 update: a new dict; the caller's params are as they were") and not wrong


# ---- training ------------------------------------------------------------------------------

def training_data():
    """(X (784, m) float32, y (m,), what): the first rows of MNIST's training CSV, or a toy set
    (labels = the argmax of a fixed random projection) when the CSV is not there."""
    n = TRAIN_ROWS + HELD_OUT
    try:
        from fnn.io.data import DataError, load_csv
        X, y = load_csv(MNIST, max_rows=n, labels=True)
        return X, y, "MNIST"
    except (ImportError, DataError):
        rng = np.random.default_rng(0)
        X = rng.random((784, n), dtype=np.float32)
        return X, (rng.standard_normal((10, 784)) @ (X - 0.5)).argmax(axis=0), "toy"


def check_training(module, r):
    X, y, what = training_data()
    Xt, yt, Xh, yh = X[:, :TRAIN_ROWS], y[:TRAIN_ROWS], X[:, TRAIN_ROWS:], y[TRAIN_ROWS:]
    Y = fnn.one_hot(yt, 10, np.float64)
    params = learner.call(module, "init_params", TRAIN_DIMS, 0)
    rng = np.random.default_rng(0)
    losses = []
    for t in range(1, STEPS + 1):
        idx = rng.choice(TRAIN_ROWS, BATCH, replace=False)
        AL, cache = learner_forward(module, params, Xt[:, idx])
        losses.append(fnn.cross_entropy(AL, Y[:, idx]))
        if not np.isfinite(losses[-1]):
            return r.add(FAIL, f"training: the loss is {losses[-1]} at step {t} (lr {LR:g})")
        params = learner.call(module, "update", params,
                              learner.call(module, "backward", params, cache, Y[:, idx]), LR)
    acc = float(np.mean(learner_forward(module, params, Xh)[0].argmax(axis=0) == yh))
    run = (f"training {'-'.join(map(str, TRAIN_DIMS))}: {STEPS} steps of {BATCH} on {TRAIN_ROWS} "
           f"{what} rows, loss {np.mean(losses[:10]):.2f} -> {np.mean(losses[-10:]):.2f}, "
           f"{acc:.1%} right on {HELD_OUT} held-out rows")
    if acc >= LEARNS:
        return r.add(PASS, run)
    return r.add(FAIL, f"{run}, below {LEARNS:.0%}: each function passes alone, yet together they do not learn")
