"""playground.py: a small network learning a 2-D dataset, every unit's picture of the plane on
screen, trained live by fnn's init_params, forward, backward and its optimizers.

    python playground.py                                   the window (paused; Space plays)
    python playground.py --dataset spiral --hidden 8,8 --activation tanh
    python playground.py --dataset spiral --hidden 8,8 --activation tanh --steps 2000 --screenshot out.png
                                                           no window: train, draw, print the scores
    python playground.py --dataset spiral3 --steps 3000 --save models/spiral3.npz
    python playground.py --impl my_network.py --dataset moons    your own four functions train it

Every setting of the window has a flag; the same flags (and seed) give the same weights, bit for
bit, and the same picture. In the window: Space play/pause, N one step, R reset to the seed's
starting weights, S save the model, E explain one step (BP1-BP4); the mouse over a unit shows
its map large; a click on a unit shows its equation with the numbers of the point under the
mouse. The window lists the other keys.
Exit codes: 0, 2 for a bad option or file (one line on stderr), 130 Ctrl-C, 143 SIGTERM.
"""
import argparse
import math
import os
import re
import sys
import warnings

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

try:                   # Ctrl-C or SIGTERM while NumPy and pygame load: one line, no traceback
    from fnnapp.cli import interrupts                                     # noqa: E402
    if __name__ == "__main__":                  # a signal while modules load: one line
        interrupts.exit_while_starting("playground.py: interrupted")
    else:
        interrupts.raise_on_signals()
    from fnn import datasets                                              # noqa: E402
    from fnn.io import files                                              # noqa: E402
    from fnnapp.cli import impl, interrupts, paths                        # noqa: E402
    from fnnapp.cli.options import (DefaultsHelp, Parser, count, int_at_least, number,  # noqa: E402
                                    positive_int)
    from fnnapp.views import playground as P                              # noqa: E402
    from fnnapp.views import playground_model as M                        # noqa: E402
    from fnnapp.views.inputs import AppError                              # noqa: E402
    from fnnapp.views.window import SCREENSHOT_TYPES                      # noqa: E402
except KeyboardInterrupt as e:
    sys.stderr.write("\nplayground.py: interrupted\n")
    sys.exit(143 if type(e).__name__ == "Terminated" else 130)

_KEY = lambda name: re.sub(r"[\s()_*]", "", name.lower())          # "sin x1" ~ "sinx1", "x1*x2" ~ "x1x2"
FEATURE_NAMES = {_KEY(f): f for f in datasets.FEATURES}


def feature_list(text):
    """A type: comma-separated features such as x1,x2,sinx1 -> ("x1", "x2", "sin x1")."""
    names = [FEATURE_NAMES.get(_KEY(t)) for t in text.split(",")]
    if not names or None in names:
        raise argparse.ArgumentTypeError(f"expected features from {', '.join(datasets.FEATURES)} "
                                         f"separated by commas (x1x2, sinx1 also do), got {text!r}")
    return tuple(f for f in datasets.FEATURES if f in names)


def hidden_list(text):
    """A type: hidden layer sizes 8,8 (up to 6 layers of 1-8 units), or none."""
    try:
        sizes = () if text.strip().lower() in ("", "none", "0") else tuple(int(s) for s in text.split(","))
    except ValueError:
        sizes = None
    if sizes is None or len(sizes) > M.MAX_LAYERS or any(not 1 <= n <= M.MAX_UNITS for n in sizes):
        raise argparse.ArgumentTypeError(f"expected up to {M.MAX_LAYERS} comma-separated layer sizes "
                                         f"of 1 to {M.MAX_UNITS} units such as 8,8 (or none), got {text!r}")
    return sizes


def parse_args(argv):
    return build_parser().parse_args(argv)


def build_parser():
    d = M.Config()
    p = Parser(prog="playground.py", formatter_class=DefaultsHelp,
               description="Train a small network on a 2-D dataset and watch every unit.")
    p.add_argument("--dataset", choices=list(datasets.DATASETS), default=d.dataset,
                   help="the points to learn (spiral3: three classes; plane, bumps: regression)")
    p.add_argument("--noise", type=number(0, 1, low_ok=True), default=d.noise,
                   help="jitter of the points, 0 to 0.5 as TF Playground's slider")
    p.add_argument("--split", type=number(0, 1), default=d.train, help="share of the points to train on")
    p.add_argument("--points", type=int_at_least(4), metavar="N", default=d.points,
                   help=f"points in the dataset (4-{M.MAX_POINTS})")
    p.add_argument("--features", type=feature_list, default=",".join(d.features).replace(" ", ""),
                   help=f"the input features, from {', '.join(datasets.FEATURES)}")
    p.add_argument("--hidden", type=hidden_list, default=",".join(map(str, d.hidden)),
                   help=f"hidden layer sizes, up to {M.MAX_LAYERS} of 1 to {M.MAX_UNITS} units, or none")
    p.add_argument("--activation", choices=M.ACTIVATIONS_SHOWN, default=d.activation,
                   help="the hidden layers' activation")
    p.add_argument("--lr", type=number(0), default=d.lr, help="learning rate")
    p.add_argument("--batch", type=positive_int, metavar="N", default=d.batch, help="batch size")
    p.add_argument("--reg", choices=M.REGS, default=d.reg, help="regularisation")
    p.add_argument("--reg-rate", type=number(0, low_ok=True), default=d.reg_rate,
                   help="lambda of the regularisation")
    p.add_argument("--optimizer", choices=M.OPTIMIZERS, default=d.optimizer, help="fnn.OPTIMIZERS' rule")
    p.add_argument("--seed", type=count, default=d.seed, help="the data's and the starting weights' seed")
    p.add_argument("--speed", type=positive_int, metavar="N", default=10,
                   help="training steps a frame while playing")
    p.add_argument("--steps", type=count, default=None,
                   help="train this many steps without a window, print the scores")
    p.add_argument("--screenshot", metavar="PNG", help="draw the playground after --steps into an image")
    p.add_argument("--save", metavar="FILE", help="the model file S writes (default: "
                   "models/playground.npz); with --steps, also written at the end")
    p.add_argument("--select", metavar="L,I", help="the unit whose equation is shown (layer, unit from 1)")
    p.add_argument("--probe", type=int, metavar="J", default=None,
                   help="the training point (index) the equation and --explain are for")
    p.add_argument("--explain", action="store_true", help="show the BP1-BP4 view of one step")
    p.add_argument("--hide-test", action="store_true", help="draw only the training points (T)")
    p.add_argument("--impl", metavar="FILE", help="train with your own init_params, forward, backward "
                   "and update (a copy of exercises/network.py that python -m fnn.exercise passes): "
                   f"relu, softmax, plain gradient descent, --lr {impl.LR:g} unless given")
    p.add_argument("--max-frames", type=int, default=None, help=argparse.SUPPRESS)
    return p


def config(args):
    return M.Config(dataset=args.dataset, noise=args.noise, train=args.split, points=args.points,
                    features=args.features, hidden=args.hidden, activation=args.activation,
                    lr=args.lr, batch=args.batch, reg=args.reg, reg_rate=args.reg_rate,
                    optimizer=args.optimizer, seed=args.seed, impl=args.impl or "")


# what --impl's network is (exercises/network.py): an option given with another value is refused
IMPL_FIXED = {"activation": "relu", "optimizer": "sgd", "reg": "none"}


def learner(args, argv):
    """--impl FILE: (the args for the learner's network, its checked module); AppError (the
    checker's lines on stderr first) when a check fails or an option does not go with it."""
    given = impl.given_options(build_parser, argv)
    for k, v in IMPL_FIXED.items():
        if k in given and getattr(args, k) != v:
            raise AppError(f"--{k} {getattr(args, k)} does not go with --impl, whose network is "
                           f"relu, softmax, plain gradient descent (exercises/network.py)")
    args = argparse.Namespace(**{**vars(args), **IMPL_FIXED, "reg_rate": 0.0,
                                 "lr": args.lr if "lr" in given else impl.LR})
    try:
        return args, impl.checked(args.impl)
    except impl.ImplError as e:
        for line in e.lines:
            print(line, file=sys.stderr)
        raise AppError(str(e)) from None


def view_options(state, args):
    """--select, --probe and --explain applied to the window's state."""
    run = state["run"]
    if args.probe is not None:
        if not 0 <= args.probe < run.data[0].shape[1]:
            raise AppError(f"--probe {args.probe}: there are {run.data[0].shape[1]} training points")
        state["probe"] = (run.data[0][:, args.probe], run.data[1][args.probe], "train")
    if args.select:
        try:
            l, i = (int(v) for v in args.select.split(","))
        except ValueError:
            raise AppError(f"--select {args.select}: expected LAYER,UNIT such as 1,2") from None
        sizes = [*run.cfg.hidden, M.outputs(run.cfg)]
        if not (1 <= l <= len(sizes) and 1 <= i <= sizes[l - 1]):
            raise AppError(f"--select {args.select}: layers 1-{len(sizes)} have {sizes} units")
        state = P.do(state, ("unit", l, i - 1))
        if state["probe"] is None:
            state["probe"] = P.first_point(run)
    return P.do(state, ("explain",)) if args.explain else state


def check_outputs(args):
    """--screenshot (an image) and --save (a model file), declared and checked at once by
    fnn.io.files before any work -> {option: checked output}; WriteError or AppError, one line."""
    wanted = [(args.screenshot, "screenshot", "--screenshot"), (args.save, "model", "--save")]
    if args.screenshot and os.path.splitext(args.screenshot)[1].lower() not in SCREENSHOT_TYPES:
        raise AppError(f"{files.shown(args.screenshot)}: --screenshot needs an image name ending in "
                       f"{', '.join(SCREENSHOT_TYPES)}")
    outs = files.check([files.declare(path, kind, option) for path, kind, option in wanted if path])
    return {out.option: out for out in outs}


def main(argv=None, on_frame=None):
    """--steps (and --screenshot) without a window, or the window; a problem is one line, exit 2."""
    interrupts.raise_on_signals()
    paths.printable_streams()                   # a file name that is not UTF-8 prints escaped
    try:
        argv = sys.argv[1:] if argv is None else argv
        args, module = parse_args(argv), None
        outs = check_outputs(args)
        if args.impl:
            args, module = learner(args, argv)
        save_to = outs.get("--save") or os.path.join("models", "playground.npz")
        state = P.new_state(M.start(config(args), module), args.speed, save_to)
        state = view_options(dict(state, show_test=not args.hide_test), args)
        if args.steps is None and not args.screenshot:
            P.run_window(state, args.max_frames, on_frame)
            return 0
        with warnings.catch_warnings():                 # a diverging run says so below, once
            warnings.simplefilter("ignore", RuntimeWarning)
            state["run"] = M.train(state["run"], args.steps or 0, max(1, (args.steps or 0) // 200))
            scores = M.scores(state["run"])
        if not math.isfinite(scores["train loss"]):
            raise AppError(f"training diverged (train loss {scores['train loss']}); nothing written; "
                           f"lower --lr" + (" or --reg-rate" if args.reg != "none" else ""))
        if args.screenshot:
            P.screenshot(state, outs["--screenshot"])
        for k, v in scores.items():
            print(f"{k} {v:.4f}" if "loss" in k else f"{k} {v:.3f}")
        if args.save:
            print(P.save(state["run"], outs["--save"]))
    except (AppError, files.WriteError, ValueError) as e:
        print(f"playground.py: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        print("\nplayground.py: interrupted", file=sys.stderr)
        return interrupts.exit_code(e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
