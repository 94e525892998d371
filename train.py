#!/usr/bin/env python3
"""Train a network on an MNIST CSV, report on the test set, save the model and its training curve.

    python train.py                                  # the default MLP: ~98.5% test accuracy (README: Results)
    python train.py --arch cnn --out models/cnn.npz  # the CNN (fnn.conv)
    python train.py --watch                          # the same run in a window (fnnapp/views/lab.py)
    python train.py --evaluate data/mnist_mlp.npz    # a saved model's report and mistakes
    python train.py --help                           # every option
    python train.py --init data/mnist_cnn.npz --train data/mnist_train.csv.gz \
        --train models/my_digits.csv:20 --epochs 1 --lr 2e-4 --out models/my_cnn.npz
                                                     # fine-tune on MNIST plus your digits x20

This file is the command line: its options and what they dispatch to. The loop itself is
fnn.training.fit; fnnapp/cli/run.py is one run around it (checks, loading, logging, Ctrl-C, divergence,
the report, the model file and its curves); fnnapp/cli/evaluate.py is --evaluate.

Exit codes: 0 done; 2 bad input (a bad CSV, a bad option value, an output path that is not a
model file, a diverged or failed run); 130 Ctrl-C, 143 SIGTERM (the best model so far is saved
first). Errors are one line on stderr, never a traceback, and
never leave a half-written or overwritten model file.
"""
import os
import shlex
import sys

if __name__ == "__main__":
    # One BLAS thread unless the environment says otherwise, set before NumPy loads BLAS. A second
    # thread gains nothing for the MLP (docs/benchmarks.md, from benchmarks/bench.py, times an
    # epoch with the threads as found and with 1 thread each), the CNN uses both cores through
    # fit's workers instead, and one thread gives the same weights for a --seed whatever the
    # core count (on one kind of CPU and BLAS build: another BLAS kernel rounds differently).
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

try:                     # Ctrl-C or SIGTERM while NumPy and pandas load: one line, no traceback
    from fnnapp.cli import interrupts
    if __name__ == "__main__":                  # a signal while modules load: one line
        interrupts.exit_while_starting("train.py: interrupted while starting; nothing written")
    else:
        interrupts.raise_on_signals()
    from fnn.activations import HIDDEN_ACTIVATIONS
    from fnn.digits.augment import AUGMENTATIONS
    from fnn.optimizers import OPTIMIZERS, SCHEDULES, schedule_defaults
    from fnnapp.cli import impl, interrupts, networks, options, paths, progress, run
    from fnnapp.cli.run import PROG
    import fnnapp.cli.evaluate                    # pygame loads only when it draws
except KeyboardInterrupt as e:
    sys.stderr.write("\ntrain.py: interrupted while starting; nothing written\n")
    sys.exit(143 if type(e).__name__ == "Terminated" else 130)

# Defaults live beside this script, shown relative to the current folder ("data/..." from the
# repo root), so `python path/to/train.py` works from anywhere.
HERE = os.path.dirname(os.path.abspath(__file__))


def _beside_script(*parts):
    return os.path.relpath(os.path.join(HERE, *parts))


DEFAULT_OUT = {"mlp": _beside_script("models", "mnist_mlp.npz"),
               "cnn": _beside_script("models", "mnist_cnn.npz"),
               "cnn-wide": _beside_script("models", "mnist_cnn_wide.npz")}
DEFAULT_TRAIN = _beside_script("data", "mnist_train.csv.gz")


def build_parser():
    p = options.Parser(
        prog=PROG, formatter_class=options.DefaultsHelp,
        description="Train an fnn network on an MNIST CSV (label + 784 pixels a row, .csv or "
                    ".csv.gz, with or without a header), report accuracy, per-class accuracy and "
                    "the confusion matrix on the test CSV, and save the model (.npz) and its "
                    "training curve (.png, same name) atomically. Ctrl-C stops early and saves "
                    "the best model so far.",
        epilog="Exit codes: 0 done, 2 bad input or diverged run (one line on stderr, nothing "
               "written), 130 interrupted (best model so far saved). BLAS runs on one thread "
               "(same weights for a seed on any core count of one kind of CPU) unless "
               "OPENBLAS_NUM_THREADS is set. The shipped model: python train.py --out "
               "data/mnist_mlp.npz")
    d = p.add_argument_group("data")
    d.add_argument("--train", type=options.train_source, action=options.Sources, default=[(DEFAULT_TRAIN, 1)],
                   metavar="FILE[:K]",
                   help="training CSV (label + 784 pixels per row); give --train several times to "
                        "train on the files together; FILE:K counts each training row of FILE K "
                        "times an epoch, so 30 of your own digits weigh like 600, e.g. --train "
                        f"{DEFAULT_TRAIN} --train models/my_digits.csv:20 (--val-split holds out "
                        f"the same fraction of each file, before the repeat) (default: {DEFAULT_TRAIN})")
    d.add_argument("--test", default=_beside_script("data", "mnist_test.csv.gz"),
                   help="test CSV, reported on once at the end (never used for training)")
    d.add_argument("--val-split", type=options.number(0, 1, low_ok=True), default=0.1, metavar="FRAC",
                   help="fraction of the training rows held out (at random) for validation "
                        "accuracy after each epoch; 0 for none")
    d.add_argument("--max-rows", type=options.positive_int, default=None, metavar="N",
                   help="read only the first N rows of each CSV (quick experiments)")
    d.add_argument("--augment", nargs="?", const="affine", default=False, choices=tuple(AUGMENTATIONS),
                   help="augment every batch (fnn.digits.augment, NumPy only): affine (alone, the "
                        "default) random shifts (<= 2 px), rotations (<= 12 degrees) and scaling "
                        "(0.9-1.1); elastic: Simard's elastic distortions; writers: elastic, "
                        "slant, pen width and pressure, gaps, coarse grids (fnn.digits.augment.writers)")
    n = p.add_argument_group("network")
    n.add_argument("--init", metavar="MODEL",
                   help="start from a saved model's weights and layer list (fine-tuning) instead "
                        "of a fresh init; --arch, --hidden and --activation are then ignored, the "
                        "other options apply; default --out models/<MODEL's name>-tuned.npz")
    n.add_argument("--arch", choices=networks.ARCHS, default="mlp",
                   help="mlp: dense layers of --hidden sizes; cnn: conv16-relu-pool-conv32-relu-"
                        "pool-dense128-relu-dense10; cnn-wide: the same with conv32 and conv64 "
                        "(the CNNs ignore --hidden and --activation)")
    n.add_argument("--hidden", type=options.hidden, default="256,128", metavar="N,N",
                   help="hidden layer sizes of the MLP, comma-separated")
    n.add_argument("--activation", choices=HIDDEN_ACTIVATIONS, default="relu",
                   help="hidden activation of the MLP")
    o = p.add_argument_group("optimisation")
    o.add_argument("--epochs", type=options.positive_int, default=15, help="passes over the training rows")
    o.add_argument("--batch-size", type=options.positive_int, default=128, metavar="B",
                   help="examples per mini-batch")
    o.add_argument("--optimizer", choices=tuple(OPTIMIZERS), default="adam", help="update rule")
    o.add_argument("--lr", type=options.number(0), default=None,
                   help="initial learning rate alpha_0 (default: the rate that trains with the "
                        f"optimizer: {', '.join(f'{k} {v:g}' for k, v in progress.GOOD_LR.items())})")
    o.add_argument("--schedule", choices=tuple(SCHEDULES), default="cosine",
                   help="learning-rate schedule over epochs t: constant; inverse_time alpha_0/(1+decay t); "
                        "step alpha_0 drop^floor(t/every); cosine from alpha_0 down to 0 at the last epoch")
    o.add_argument("--decay", type=options.number(0, low_ok=True), default=schedule_defaults("inverse_time")["decay"],
                   help="decay rate per epoch of --schedule inverse_time")
    o.add_argument("--drop", type=options.number(0), default=schedule_defaults("step")["drop"],
                   help="factor of --schedule step")
    o.add_argument("--every", type=options.positive_int, default=schedule_defaults("step")["every"],
                   help="epochs between drops of --schedule step")
    o.add_argument("--l2", type=options.number(0, low_ok=True), default=0.0,
                   help="L2 penalty lambda: J + (lambda/2m) sum ||W||^2")
    o.add_argument("--dropout", type=options.number(0, 1, low_ok=True), default=0.2, metavar="P",
                   help="probability of dropping each hidden activation while training")
    o.add_argument("--lr-change", type=options.lr_change, action="append", default=[],
                   metavar="ITER:FACTOR",
                   help="multiply the learning rate by FACTOR from iteration ITER on (repeatable); "
                        "--watch's Up/Down keys record theirs in the model file's meta as "
                        "lr_changes, so the same run can be repeated with these options")
    o.add_argument("--seed", type=options.count, default=0,
                   help="seed of every random choice (init, split, shuffling, dropout, augmentation): "
                        "the same seed gives the same weights bit for bit on the same kind of CPU and NumPy build")
    r = p.add_argument_group("output")
    r.add_argument("--out", default=None, metavar="PATH",
                   help="model file to write (an existing one is replaced, and the run says so); "
                        "the curve goes to the same path with .png; default "
                        f"{DEFAULT_OUT['mlp']} ({DEFAULT_OUT['cnn']} with --arch cnn), numbered "
                        "-2, -3, ... when that name is taken, so a default never replaces a run")
    w = p.add_argument_group("watching it learn")
    w.add_argument("--watch", action="store_true",
                   help="train in a pygame window that shows the curves, the first layer's "
                        "weights, each layer's health and a strip of test digits as training "
                        "runs (the same weights as without it); Space pauses, N steps, Up/Down "
                        "double/halve the learning rate, S saves a snapshot, Esc stops as Ctrl-C "
                        "does; at the end the final curves stay, Tab switches to the confusion "
                        "matrix and back, until the window is closed "
                        "(with --evaluate: that view of a saved model)")
    w.add_argument("--compare", default=None, metavar="OTHER.npz",
                   help="with --watch: overlay the curves of another run (its .csv beside it)")
    x = p.add_argument_group("your own backprop (exercises/network.py, docs/exercises.md)")
    x.add_argument("--impl", metavar="FILE",
                   help="train with the four functions of FILE, your copy of exercises/network.py, "
                        "once `python -m fnn.exercise FILE` passes: dense relu layers of --hidden "
                        f"sizes, plain gradient descent (defaults with --impl: --lr {impl.LR:g}, "
                        f"--batch-size {impl.BATCH}); "
                        "default --out models/<FILE's name>.npz")
    e = p.add_argument_group("evaluating a saved model (trains nothing, writes no model)")
    e.add_argument("--evaluate", default=None, metavar="MODEL",
                   help="report on --test with the model file MODEL: test accuracy, per-class "
                        "accuracy and the confusion matrix, printed and drawn with the most "
                        "confident mistakes into a PNG (see --errors-png)")
    e.add_argument("--calibrate", default=None, metavar="MODEL",
                   help="fit the temperature T of softmax(Z / T) on the validation rows of --train "
                        "(the split of a run with the same --train, --val-split, --max-rows, "
                        "--seed) and store it in MODEL's meta; the pad's bars and --evaluate use it")
    e.add_argument("--errors-png", default=None, metavar="PNG",
                   help="where --evaluate draws its PNG; default MODEL's name with _errors.png")
    e.add_argument("--predictions", default=None, metavar="OUT.csv",
                   help="with --evaluate: write ImageId,Label for every row of --test (labelled "
                        "or not, e.g. Kaggle's test.csv), ImageId counted from 1")
    r.add_argument("--log-every", type=options.count, default=None, metavar="K",
                   help="print iteration, loss and batch accuracy every K iterations (0: epochs "
                        "only); without it, one progress line rewritten in place on a terminal "
                        "(loss, accuracy, it/s, ETA) and a line every 10 iterations into a file "
                        "or pipe; every iteration is in the curve CSV either way")
    return p


def parse_args(argv=None):
    """The options, with the defaults that depend on other options filled in (--lr)."""
    args = build_parser().parse_args(argv)
    if args.lr is None:
        args.lr = progress.GOOD_LR[args.optimizer]
    return args


def main(argv=None):
    """The command line `python train.py ARGV...` in this process; returns the exit code."""
    interrupts.raise_on_signals()               # Ctrl-C -> KeyboardInterrupt, SIGTERM -> Terminated
    paths.printable_streams()                   # a file name that is not UTF-8 prints escaped
    args = parse_args(argv)
    default = DEFAULT_OUT[args.arch] if args.init is None else _beside_script(
        "models", os.path.splitext(os.path.basename(args.init))[0] + "-tuned.npz")
    out = args.out or run.numbered(default)       # a default never replaces an earlier run
    command = "python train.py" + "".join(" " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    for option, needs in (("predictions", "evaluate"), ("errors_png", "evaluate"), ("compare", "watch")):
        if getattr(args, option) and not getattr(args, needs):
            print(f"{PROG}: error: --{option.replace('_', '-')} needs --{needs} (see --help)", file=sys.stderr)
            return 2
    try:
        if args.calibrate:
            return fnnapp.cli.evaluate.calibrate(args.calibrate, args.train, args.max_rows,
                                                 args.val_split, args.seed)
        if args.impl:
            out = impl_options(args, argv)
        if args.evaluate:
            return fnnapp.cli.evaluate.evaluate(args.evaluate, args.test, args.max_rows, args.predictions,
                                        args.errors_png, args.watch)
        if out != (args.out or default):
            print(f"out: {out} ({default} is kept; --out {default} would replace it)", flush=True)
        return run.train(args, out, command, DEFAULT_OUT["mlp"])
    except (run.UsageError, fnnapp.cli.evaluate.EvaluateError, impl.ImplError) as e:
        for line in getattr(e, "lines", ()):            # the checker's lines, when it refused --impl
            print(line, file=sys.stderr)
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        print(f"\n{PROG}: interrupted before a model was saved; nothing written", file=sys.stderr)
        return interrupts.exit_code(e)
    except BrokenPipeError:                                   # e.g. python train.py | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def impl_options(args, argv):
    """--impl FILE: refuse the options it does not take, check FILE (fnn.exercise), set the
    recipe it trains with; -> the model file to write. impl.ImplError when it cannot go ahead."""
    given = impl.given_options(build_parser, sys.argv[1:] if argv is None else argv)
    bad = impl.refused_option(given)
    if bad is not None:
        raise impl.ImplError(impl.refusal(bad))
    args.impl_module = impl.checked(args.impl)
    args.optimizer, args.schedule, args.dropout, args.augment, args.l2 = "sgd", "constant", 0.0, False, 0.0
    args.lr = args.lr if "lr" in given else impl.LR
    args.batch_size = args.batch_size if "batch_size" in given else impl.BATCH
    name = os.path.splitext(os.path.basename(args.impl))[0]
    return args.out or _beside_script("models", name + ".npz")


if __name__ == "__main__":
    sys.exit(main())
