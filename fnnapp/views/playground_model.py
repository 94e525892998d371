"""The playground's network and its training, as plain values (no pygame here).

    cfg = Config(dataset="spiral", hidden=(8, 8), activation="tanh")
    run = start(cfg)                        # data, network, the seed's starting weights
    run = train(run, 100)                   # 100 steps of fnn.forward, backward, an optimizer
    maps = plane_view(run, side=64)         # every layer's activations over the plane, one pass

A Run is a NamedTuple: train() and the edits (edit) return a new one and never change theirs.
Changing what the network is (dataset, features, layers, activation) starts it afresh from
init_params(seed); the rate, batch size, regularisation and optimizer change from the next step
on. The batch of step t is drawn from default_rng([seed, t]): the same seed and settings give
the same weights, bit for bit, whatever the frames did.

With a learner's module (playground.py --impl FILE, the exercise's four functions checked by
fnn.exercise) the run trains with their init_params, forward, backward and update instead:
their network is dense relu layers under a softmax (two units for two classes) and plain
gradient descent, so check() refuses the settings it has not. The pictures and the
explanation are fnn's forward and backward on their weights.
"""
from typing import NamedTuple, Optional, Tuple

import numpy as np

import fnn
from fnn import datasets, losses
from fnn.layers import dense_layers
from fnnapp.cli import impl

MAX_LAYERS, MAX_UNITS = 6, 8
MAX_POINTS = 5000
ACTIVATIONS_SHOWN = ("tanh", "relu", "sigmoid", "linear")
RATES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
BATCHES = (1, 5, 10, 30, 100, 200)
REGS = ("none", "l1", "l2")
REG_RATES = (0.0, 1e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)
NOISES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
SPLITS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
OPTIMIZERS = ("sgd", "momentum", "adam")


class Config(NamedTuple):
    """Everything the window lets you change; playground.py has a flag for each field."""
    dataset: str = "circle"
    noise: float = 0.0
    train: float = 0.5                 # share of the points used for training
    points: int = 400
    features: Tuple[str, ...] = ("x1", "x2")
    hidden: Tuple[int, ...] = (4, 2)
    activation: str = "tanh"
    lr: float = 0.03
    batch: int = 30
    reg: str = "none"                  # "none", "l1" or "l2"
    reg_rate: float = 0.0
    optimizer: str = "adam"
    seed: int = 0
    impl: str = ""                     # the learner's file (--impl), "" for fnn's functions


class Run(NamedTuple):
    cfg: Config
    data: tuple                        # (U_train, y_train, U_test, y_test), U (2, m) raw points
    X: tuple                           # (X_train, X_test) their features (n0, m) float32
    layers: list                       # the layer list (fnn.layers)
    params: dict
    opt: dict                          # the optimizer's state
    step: int = 0
    history: tuple = ()                # ((step, train loss, test loss), ...)
    last: Optional[dict] = None        # grads of the last step, {"dW1": ..., "db1": ...}
    learner: object = None             # the learner's module (cfg.impl), or None


def classes(cfg):
    return datasets.DATASETS[cfg.dataset].classes


def outputs(cfg):
    """Units of the output layer: one sigmoid (two classes, or a regression target in [0, 1]),
    or one per class under a softmax (3+ classes; 2+ for a learner's network)."""
    return classes(cfg) if classes(cfg) > 2 or cfg.impl else 1


def network(cfg):
    """The layer list: the features in, cfg.hidden dense layers of cfg.activation, outputs(cfg)
    units out, sigmoid or softmax."""
    return dense_layers([len(cfg.features), *cfg.hidden, outputs(cfg)], cfg.activation,
                        "softmax" if outputs(cfg) > 1 else "sigmoid")


def loss_name(cfg):
    return "mse" if classes(cfg) == 0 else "cross_entropy"


def targets(cfg, y):
    """What backward and compute_loss take: labels (m,), or regression targets as (1, m)."""
    return y.reshape(1, -1) if classes(cfg) == 0 else y


def check(cfg):
    """Raise ValueError (one line) for a Config the playground cannot run."""
    if cfg.dataset not in datasets.DATASETS:
        raise ValueError(f"unknown dataset {cfg.dataset!r}; choose from {', '.join(datasets.DATASETS)}")
    if len(cfg.hidden) > MAX_LAYERS or any(not 1 <= n <= MAX_UNITS for n in cfg.hidden):
        raise ValueError(f"at most {MAX_LAYERS} hidden layers of 1 to {MAX_UNITS} units, got {list(cfg.hidden)}")
    if cfg.activation not in ACTIVATIONS_SHOWN:
        raise ValueError(f"unknown activation {cfg.activation!r}; choose from {', '.join(ACTIVATIONS_SHOWN)}")
    if cfg.reg not in REGS or cfg.optimizer not in OPTIMIZERS:
        raise ValueError(f"regularisation is one of {', '.join(REGS)}, optimizer one of {', '.join(OPTIMIZERS)}")
    datasets.features(np.zeros((2, 1)), cfg.features)
    if cfg.impl and (classes(cfg) == 0 or (cfg.activation, cfg.reg, cfg.optimizer) != ("relu", "none", "sgd")):
        raise ValueError("--impl trains your dense relu network with a softmax output by plain "
                         "gradient descent: a classification set, relu, sgd, no regularisation")
    if not 0 <= cfg.noise <= 1 or not 0 < cfg.train < 1 or not 4 <= cfg.points <= MAX_POINTS:
        raise ValueError(f"noise must be in [0, 1], the train share in (0, 1), points 4 to {MAX_POINTS}")
    return cfg


def start(cfg, learner=None):
    """A new Run: the dataset's points split in two, the network with init_params(cfg.seed)
    (the learner's module's, when given)."""
    check(cfg)
    U, y = datasets.make(cfg.dataset, cfg.points, cfg.noise, cfg.seed)
    (U_tr, y_tr), (U_te, y_te) = datasets.split(U, y, cfg.train)
    X = (datasets.features(U_tr, cfg.features), datasets.features(U_te, cfg.features))
    return fresh(Run(cfg, (U_tr, y_tr, U_te, y_te), X, None, None, None, learner=learner))


def fresh(run):
    """The same run at step 0: the network rebuilt, the seed's starting weights (bit for bit the
    same each time), the optimizer's state and the curves empty."""
    layers = network(run.cfg)
    if run.learner is not None:
        params = impl.init_params(run.learner, layers, run.cfg.seed)
    else:
        params = fnn.init_params(layers, seed=run.cfg.seed)
    init = fnn.OPTIMIZERS[run.cfg.optimizer][0]
    return run._replace(layers=layers, params=params, opt=init(params), step=0,
                        history=(losses_now(run.cfg, layers, params, run.X, run.data),), last=None)


DATA_FIELDS = ("dataset", "noise", "train", "points", "features", "seed")
NET_FIELDS = ("hidden", "activation")


def edit(run, **changes):
    """The run with cfg fields changed: new data (and a fresh network) for a data field, a fresh
    network for hidden/activation, a fresh optimizer state for optimizer; the rest take effect
    at the next step."""
    cfg = check(run.cfg._replace(**changes))
    changed = {k for k, v in changes.items() if getattr(run.cfg, k) != v}
    if changed & set(DATA_FIELDS):
        return start(cfg, run.learner)
    run = run._replace(cfg=cfg)
    if changed & set(NET_FIELDS):
        return fresh(run)
    if "optimizer" in changed:
        run = run._replace(opt=fnn.OPTIMIZERS[cfg.optimizer][0](run.params))
    return run


def batch_indices(seed, t, m, size):
    """The examples of step t: `size` of the m training points, without repeats, from
    default_rng([seed, t]) (all m when size >= m)."""
    if size >= m:
        return np.arange(m)
    return np.random.default_rng([seed, t]).choice(m, size, replace=False)


def grads_of(cfg, layers, params, X, y):
    """The gradient of J (+ the penalty) on the examples X (n0, m), y: fnn.backward with L2 in it,
    and for L1 (lambda / m) sign(W[l]) added to each dW[l]."""
    _, cache = fnn.forward(params, X, layers)
    l2 = cfg.reg_rate if cfg.reg == "l2" else 0.0
    grads = fnn.backward(params, cache, targets(cfg, y), loss=loss_name(cfg), l2=l2)
    if cfg.reg == "l1" and cfg.reg_rate:
        for k, W in params.items():
            if k.startswith("W"):
                grads["d" + k] = grads["d" + k] + losses.l1_gradient(W, cfg.reg_rate, X.shape[1])
    return grads


def train(run, steps, record_every=1):
    """`steps` steps of the optimizer on batches of the training points; the train and test
    loss are recorded every `record_every` steps (and after the last)."""
    cfg, (X_tr, _), (_, y_tr, _, _) = run.cfg, run.X, run.data
    update = fnn.OPTIMIZERS[cfg.optimizer][1]
    params, opt, hist, g = run.params, run.opt, list(run.history), run.last
    for t in range(run.step, run.step + steps):
        idx = batch_indices(cfg.seed, t, X_tr.shape[1], cfg.batch)
        if run.learner is not None:
            params, g = learners_step(run.learner, params, X_tr[:, idx], y_tr[idx], outputs(cfg), cfg.lr)
        else:
            g = grads_of(cfg, run.layers, params, X_tr[:, idx], y_tr[idx])
            params, opt = update(params, g, opt, cfg.lr)
        if (t + 1) % record_every == 0 or t == run.step + steps - 1:
            hist.append(losses_now(cfg, run.layers, params, run.X, run.data, t + 1))
    return run._replace(params=params, opt=opt, step=run.step + steps, history=tuple(hist), last=g)


def learners_step(module, params, X, y, k, lr):
    """One step of the learner's own functions: A[L], cache = forward(params, X); grads =
    backward(params, cache, Y) with Y the one-hot (k, m) of y; update(params, grads, lr).
    -> (new params, grads). ValueError (one line) when one of them raises or is not written."""
    try:
        _, grads, new = impl.step(module, params, X, fnn.one_hot(y, k, X.dtype), lr)
    except impl.ImplError as e:
        raise ValueError(str(e)) from None
    return {k_: np.asarray(v, np.float32) for k_, v in new.items()}, grads


def losses_now(cfg, layers, params, X, data, step=0):
    """(step, train loss, test loss): J of each whole set, without the penalty."""
    out = [step]
    for Xs, y in ((X[0], data[1]), (X[1], data[3])):
        _, cache = fnn.forward(params, Xs, layers)
        out.append(fnn.compute_loss(cache, targets(cfg, y), loss_name(cfg)) if Xs.shape[1] else float("nan"))
    return tuple(out)


def scores(run):
    """{"train accuracy", "test accuracy" (classification only), "train loss", "test loss"}."""
    out = {}
    if classes(run.cfg):
        for name, Xs, y in (("train", run.X[0], run.data[1]), ("test", run.X[1], run.data[3])):
            out[f"{name} accuracy"] = fnn.accuracy(run.params, Xs, y, run.layers)
    _, tr, te = losses_now(run.cfg, run.layers, run.params, run.X, run.data)
    return {**out, "train loss": tr, "test loss": te}


def layer_outputs(params, X, layers):
    """One forward pass over the columns of X -> [A1, ..., AL], each layer's activations
    (n[l], m): the hidden units' and the output's values at every point, the cache's A[l]."""
    return fnn.forward(params, X, layers)[1]["A"][1:]


def plane_view(run, side=64):
    """Every unit over a side x side grid of the plane: [A0, A1, ..., AL], each (n[l], side, side),
    A0 the features. One forward pass over the side^2 grid points."""
    X = datasets.features(datasets.grid(side), run.cfg.features)
    return [A.reshape(-1, side, side) for A in [X] + layer_outputs(run.params, X, run.layers)]


def explain_point(run, u, y=None):
    """The forward and backward pass of one point u (2,) (label or target y, or None):
    per layer l = 1..L a dict with W, b, A_prev, Z = W A_prev + b, A = g(Z), and when y is given
    dZ (BP1 at the output, BP2 below it), dW = dZ A_prev.T (BP4), db = dZ (BP3; m = 1).
    dZ[l] is db[l] of fnn.backward on this one point: the gradient of its loss, the penalty left out."""
    X = datasets.features(np.asarray(u, np.float64).reshape(2, 1), run.cfg.features)
    As = [X] + layer_outputs(run.params, X, run.layers)
    grads = None
    if y is not None:
        _, cache = fnn.forward(run.params, X, run.layers)
        grads = fnn.backward(run.params, cache, targets(run.cfg, np.asarray([y])), loss=loss_name(run.cfg))
    out = []
    for l in range(1, len(As)):
        W, b = run.params[f"W{l}"], run.params[f"b{l}"]
        row = {"W": W, "b": b, "A_prev": As[l - 1], "Z": W @ As[l - 1] + b, "A": As[l]}
        if grads is not None:
            row.update(dZ=grads[f"db{l}"], dW=grads[f"dW{l}"], db=grads[f"db{l}"])
        out.append(row)
    return out
