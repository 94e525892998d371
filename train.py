#!/usr/bin/env python3
"""Train a network on an MNIST CSV, report on the test set, save the model and its training curve.

    python train.py                                  # the default MLP: ~98.5% test accuracy in < 1 minute
    python train.py --arch cnn --out models/cnn.npz  # the CNN (fnn.conv)
    python train.py --watch                          # the same run in a window (ui/lab.py)
    python train.py --evaluate data/mnist_mlp.npz    # a saved model's report and mistakes
    python train.py --help                           # every option
    python train.py --init data/mnist_cnn.npz --train data/mnist_train.csv.gz \
        --train models/my_digits.csv:20 --epochs 1 --lr 2e-4 --out models/my_cnn.npz
                                                     # fine-tune on MNIST plus your digits x20

The loop itself is fnn.training.fit; this file is the command line around it: options, loading,
logging, Ctrl-C, divergence, the report (fnn.report), the model file (fnn.save) and the curve
(drawn with pygame, saved as a PNG next to the model).

Exit codes: 0 done; 2 bad input (a bad CSV, a bad option value, an output path that is not a
model file, a diverged or failed run); 130 Ctrl-C, 143 SIGTERM (the best model so far is saved
first). Errors are one line on stderr, never a traceback, and
never leave a half-written or overwritten model file.
"""
import os
import shlex
import sys
import time

if __name__ == "__main__":
    # One BLAS thread unless the environment says otherwise, set before NumPy loads BLAS. A second
    # thread gains nothing for the MLP (docs/benchmarks.md, from benchmarks/bench.py, times an
    # epoch with the threads as found and with 1 thread each), the CNN uses both cores through
    # fit's workers instead, and one thread gives the same weights for a --seed whatever the
    # core count (on one kind of CPU and BLAS build: another BLAS kernel rounds differently).
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

try:                                      # Ctrl-C while NumPy and pandas load: one line, no traceback
    import numpy as np

    import fnn
    import ui.history
    import fnn.data
    import ui.sources
    from fnn import files
    from ui import interrupts, memory, networks, options, paths, progress
    from fnn import layers as L
    from fnn.activations import HIDDEN_ACTIVATIONS
    from fnn.augment import AUGMENTATIONS
    from fnn.optimizers import OPTIMIZERS, SCHEDULES, schedule_defaults
    from fnn.report import confusion_matrix, format_report, percent
    from fnn.training import fit, learning_rate
    import ui.evaluate                    # pygame loads only when it draws
except KeyboardInterrupt:
    sys.stderr.write("\ntrain.py: interrupted while starting; nothing written\n")
    sys.exit(130)

PROG = "train.py"
# Defaults live beside this script, shown relative to the current folder ("data/..." from the
# repo root), so `python path/to/train.py` works from anywhere.
HERE = os.path.dirname(os.path.abspath(__file__))


def _beside_script(*parts):
    return os.path.relpath(os.path.join(HERE, *parts))


DEFAULT_OUT = {"mlp": _beside_script("models", "mnist_mlp.npz"),
               "cnn": _beside_script("models", "mnist_cnn.npz"),
               "cnn-wide": _beside_script("models", "mnist_cnn_wide.npz")}
DEFAULT_TRAIN = _beside_script("data", "mnist_train.csv.gz")


class UsageError(Exception):
    """A problem with the command line or the input: one line, exit code 2."""


def build_parser():
    p = options.Parser(prog=PROG, formatter_class=options.DefaultsHelp,
                description="Train an fnn network on an MNIST CSV (label + 784 pixels a row, "
                            ".csv or .csv.gz, with or without a header), report accuracy, per-class "
                            "accuracy and the confusion matrix on the test CSV, and save the model "
                            "(.npz) and its training curve (.png, same name) atomically. "
                            "Ctrl-C stops early and saves the best model so far.",
                epilog="Exit codes: 0 done, 2 bad input or diverged run (one line on stderr, "
                       "nothing written), 130 interrupted (best model so far saved). "
                       "BLAS runs on one thread (same weights for a seed on any core count of one kind of CPU) "
                       "unless OPENBLAS_NUM_THREADS is set. "
                       "The shipped model: python train.py --out data/mnist_mlp.npz")
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
                   help="augment every batch (fnn.augment, NumPy only): affine (alone, the "
                        "default) random shifts (<= 2 px), rotations (<= 12 degrees) and scaling "
                        "(0.9-1.1); elastic: Simard's elastic distortions; writers: elastic, "
                        "slant, pen width and pressure, gaps, coarse grids (fnn.augment.writers)")
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
                        f"{DEFAULT_OUT['mlp']} ({DEFAULT_OUT['cnn']} with --arch cnn)")
    w = p.add_argument_group("watching it learn")
    w.add_argument("--watch", action="store_true",
                   help="train in a pygame window that shows the curves, the first layer's "
                        "weights, each layer's health and a strip of test digits as training "
                        "runs (the same weights as without it); Space pauses, N steps, Up/Down "
                        "double/halve the learning rate, S saves a snapshot, Esc stops as Ctrl-C "
                        "does; at the end the confusion matrix stays until the window is closed "
                        "(with --evaluate: that view of a saved model)")
    w.add_argument("--compare", default=None, metavar="OTHER.npz",
                   help="with --watch: overlay the curves of another run (its .csv beside it)")
    e = p.add_argument_group("evaluating a saved model (trains nothing, writes no model)")
    e.add_argument("--evaluate", default=None, metavar="MODEL",
                   help="report on --test with the model file MODEL: test accuracy, per-class "
                        "accuracy and the confusion matrix, printed and drawn with the most "
                        "confident mistakes into a PNG (see --errors-png)")
    e.add_argument("--errors-png", default=None, metavar="PNG",
                   help="where --evaluate draws its PNG; default MODEL's name with _errors.png")
    e.add_argument("--predictions", default=None, metavar="OUT.csv",
                   help="with --evaluate: write ImageId,Label for every row of --test (labelled "
                        "or not, e.g. Kaggle's test.csv), ImageId counted from 1")
    r.add_argument("--log-every", type=options.count, default=10, metavar="K",
                   help="print iteration, loss and batch accuracy every K iterations (0: epochs only)")
    return p


def describe_recipe(args):
    """The training recipe in one line, as every model file's meta records it."""
    return (f"{args.optimizer} lr {args.lr:g} {args.schedule}, batch {args.batch_size}, "
            f"{args.epochs} epochs" + (f", l2 {args.l2:g}" if args.l2 else "")
            + (f", dropout {args.dropout:g}" if args.dropout else "")
            + (f", augment {args.augment}" if args.augment else "") + f", seed {args.seed}")


def parse_args(argv=None):
    """The options, with the defaults that depend on other options filled in (--lr)."""
    args = build_parser().parse_args(argv)
    if args.lr is None:
        args.lr = progress.GOOD_LR[args.optimizer]
    return args


def check_out(out, inputs=()):
    """Fail before training, not after, when the model cannot be written to `out`, when writing
    it (or its .png curve) would overwrite one of the input CSVs, or when either path holds
    something that is not a file of its kind (ui.paths.check_output). Creates nothing: the
    folder of `out` is made when the model is saved."""
    if os.path.isdir(out):
        raise UsageError(f"{out}: is a folder; --out needs a file name such as {DEFAULT_OUT['mlp']}")
    if os.path.splitext(out)[1].lower() == ".png":
        raise UsageError(f"{out}: --out names the model file (.npz); its curve goes next to it as .png")
    png = os.path.splitext(out)[0] + ".png"
    for path in inputs:
        for target in (out, png, ui.history.path_for(out)):
            if os.path.exists(path) and os.path.exists(target) and os.path.samefile(path, target):
                raise UsageError(f"{out}: writing the model would overwrite the input {path}")
    try:
        paths.check_output(out, "model")
        paths.check_output(png, "image")
    except paths.PathError as e:
        raise UsageError(f"--out: {e}") from None


def check_options(args, layers):
    """Option values that parse but cannot work, refused before any data is read: a schedule
    whose learning rate overflows (or underflows to 0) during the run, and a network whose
    training would not fit in memory (ui.memory.training_bytes)."""
    for epoch in range(args.epochs):
        try:
            alpha = learning_rate(args.lr, epoch, args.schedule, args.epochs, decay=args.decay,
                                  drop=args.drop, every=args.every)
        except (OverflowError, ZeroDivisionError):
            alpha = float("inf")
        if not (np.isfinite(alpha) and alpha > 0):
            given = {"step": f" --drop {args.drop:g} --every {args.every}",
                     "inverse_time": f" --decay {args.decay:g}"}.get(args.schedule, "")
            raise UsageError(f"--lr {args.lr:g} --schedule {args.schedule}{given}: the learning rate "
                             f"{'overflows' if alpha else 'underflows to 0'} at epoch {epoch + 1}")
    need, have = memory.training_bytes(layers, args.batch_size, args.optimizer), memory.available_bytes()
    if have is not None and need > have:
        raise UsageError(f"the network {networks.describe(layers)} ({memory.parameter_count(layers):,} "
                         f"parameters) needs about {memory.human(need)} to train, and this machine "
                         f"has {memory.human(have)} available; choose smaller --hidden sizes")


def check_inputs(args):
    """--train and --test are regular files this process can read (not a FIFO, not a device)."""
    for what, path in [("--train", path) for path, _ in args.train] + [("--test", args.test)]:
        try:
            paths.check_input(path)
        except paths.PathError as e:
            raise UsageError(f"{what}: {e}") from None


def load(path, what, max_rows):
    """(X (784, m), y (m,)) from a labelled CSV; DataError becomes a UsageError (one line)."""
    try:
        return fnn.data.load_csv(path, max_rows=max_rows, labels=True)
    except fnn.data.DataError as e:
        raise UsageError(f"{what}: {e}") from None


def load_init(args):
    """--init MODEL: (params as float32, layers) of the saved model, checked to map 784 pixels
    to 10 digits."""
    try:
        paths.check_input(args.init)
        params, layers, _ = fnn.load(args.init)
    except (paths.PathError, fnn.ModelFileError) as e:
        raise UsageError(f"--init: {e}") from None
    n_in = int(np.prod(layers[0]["shape"]))
    n_out = L.param_shapes(layers)[f"b{len(params) // 2}"][0]
    if (n_in, n_out) != (fnn.data.NUM_PIXELS, fnn.data.NUM_CLASSES):
        raise UsageError(f"--init: {args.init}: the model maps {n_in} inputs to {n_out} classes; "
                         f"training needs {fnn.data.NUM_PIXELS} pixels to {fnn.data.NUM_CLASSES} digits")
    return {k: v.astype(np.float32) for k, v in params.items()}, layers


def main(argv=None):
    interrupts.raise_on_signals()               # Ctrl-C -> KeyboardInterrupt, SIGTERM -> Terminated
    args = parse_args(argv)
    out = args.out or (DEFAULT_OUT[args.arch] if args.init is None else _beside_script(
        "models", os.path.splitext(os.path.basename(args.init))[0] + "-tuned.npz"))
    command = "python train.py" + "".join(" " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    for option, needs in (("predictions", "evaluate"), ("compare", "watch")):
        if getattr(args, option) and not getattr(args, needs):
            print(f"{PROG}: error: --{option} needs --{needs} (see --help)", file=sys.stderr)
            return 2
    try:
        if args.evaluate:
            return ui.evaluate.evaluate(args.evaluate, args.test, args.max_rows, args.predictions,
                                        args.errors_png, args.watch)
        # Overflow in a diverging run is reported once, as "training diverged", not as warnings.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return run(args, out, command)
    except (UsageError, ui.evaluate.EvaluateError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        print(f"\n{PROG}: interrupted before a model was saved; nothing written", file=sys.stderr)
        return interrupts.exit_code(e)
    except BrokenPipeError:                                   # e.g. python train.py | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def run(args, out, command):
    t_start = time.perf_counter()
    init, layers = load_init(args) if args.init is not None else (None, networks.network(args.arch, args.hidden, args.activation))
    check_options(args, layers)
    check_out(out, [path for path, _ in args.train] + [args.test] + [args.init] * (args.init is not None))
    check_inputs(args)
    init_seed, split_seed, fit_seed = np.random.SeedSequence(args.seed).spawn(3)

    with interrupts.exit_at_once(PROG, "loading the data"):
        try:
            X_train, y_train, X_val, y_val = ui.sources.load_training(
                args.train, args.max_rows, args.val_split, np.random.default_rng(split_seed))
        except fnn.data.DataError as e:
            raise UsageError(f"--train: {e}") from None
        except ui.sources.SplitError as e:                       # nothing left to train on
            raise UsageError(f"--val-split {e}") from None
        X_test, y_test = load(args.test, "--test", args.max_rows)
    sources = ui.sources.describe_sources(args.train)
    print(f"data: {y_train.size} training, {y_val.size} validation rows from {sources}; "
          f"{y_test.size} test rows from {args.test} ({time.perf_counter() - t_start:.1f} s)", flush=True)

    params = init if init is not None else fnn.init_params(layers, seed=init_seed)
    name = networks.describe(layers)
    recipe = describe_recipe(args)
    start = f", starting from {args.init}" if args.init else ""
    print(f"network: {name} ({sum(p.size for p in params.values()):,} parameters{start}); {recipe}",
          flush=True)
    about = {"command": command, "network": name, "recipe": recipe,      # every model file's meta
             "train": sources, "test": args.test, "init": args.init,
             "lr_changes": []}

    history = {"iteration": [], "epoch": [], "loss": [], "acc": [], "lr": [], "val": []}
    watch = open_watch(args, out, layers, history, about, y_train.size, X_test, y_test) \
        if args.watch else None
    best = {"params": None, "val_acc": None, "epoch": 0}
    last, epochs_done, epoch_start = None, 0, 0
    gen = fit(params, X_train, y_train, layers, optimizer=args.optimizer, epochs=args.epochs,
              batch_size=args.batch_size, lr=args.lr, schedule=args.schedule,
              schedule_args={"decay": args.decay, "drop": args.drop, "every": args.every},
              l2=args.l2, dropout=args.dropout, augment=AUGMENTATIONS.get(args.augment),
              X_val=X_val, y_val=y_val,
              seed=fit_seed, lr_changes=args.lr_change)
    reply = None                     # what the watch window sends into fit (fit's docstring)
    try:
        while True:
            try:
                rec = gen.send(reply)
            except StopIteration:
                break
            if len(rec["lr_changes"]) > len(about["lr_changes"]):
                i, f = rec["lr_changes"][-1]
                print(f"learning rate x {f:g} from iteration {i} on (recorded in the model's "
                      f"meta as lr_changes)", flush=True)
            about["lr_changes"] = [list(c) for c in rec["lr_changes"]]
            if rec["kind"] == "step":
                t, loss = rec["iteration"], rec["loss"]
                if not np.isfinite(loss):
                    raise UsageError(f"training diverged at iteration {t} (loss = {loss}); nothing "
                                     f"written; {progress.try_instead(args.optimizer, args.lr)}")
                last = rec
                for key in ("iteration", "epoch", "loss", "acc", "lr"):
                    history[key].append(rec[key])
                if args.log_every and t % args.log_every == 0:
                    print(f"iter {t:6d}  epoch {rec['epoch']:3d}  loss {loss:.4f}  "
                          f"batch acc {100 * rec['acc']:6.2f}%  lr {rec['lr']:.2e}", flush=True)
            else:
                e, val_acc = rec["epoch"], rec["val_acc"]
                epochs_done = e
                if val_acc is not None:
                    history["val"].append((rec["iteration"], val_acc))
                if best["params"] is None or (val_acc is not None and val_acc > best["val_acc"]):
                    best = {"params": rec["params"], "val_acc": val_acc, "epoch": e}
                print(f"epoch {e}/{args.epochs}  validation accuracy {percent(val_acc)}  "
                      f"elapsed {rec['elapsed']:.1f} s", flush=True)
                check_progress(args, history, epoch_start, e, val_acc, y_val)
                epoch_start = len(history["loss"])
            reply = watch.see(rec) if watch is not None else None
        params = last["params"]
        probs = fnn.predict_proba(params, X_test, layers)
        if not np.isfinite(probs).all():
            raise UsageError(f"training failed: the network's outputs on the test set are not "
                             f"finite (its weights overflow); nothing written; "
                             f"{progress.try_instead(args.optimizer, args.lr)}")
        C = confusion_matrix(y_test, probs.argmax(axis=0))
    except KeyboardInterrupt as stop:              # in training or in the test evaluation
        return interrupted(out, layers, about, history, best, last, epochs_done, X_val, y_val,
                           time.perf_counter() - t_start, interrupts.exit_code(stop))

    interrupts.ignore()                            # from here on, finish writing the files
    test_acc = float(np.trace(C) / C.sum())
    val_acc = history["val"][-1][1] if history["val"] else None
    print(f"test accuracy {percent(test_acc)} on {y_test.size} rows of {args.test}")
    for line in format_report(C):
        print(line)
    seconds = time.perf_counter() - t_start
    meta = {**about, "test_accuracy": test_acc, "val_accuracy": val_acc, "epochs_done": args.epochs,
            "iterations": last["iteration"], "seconds": round(seconds, 1), "interrupted": False}
    save(out, params, layers, meta)
    curve(out, history, f"fnn {name}: {recipe}", f"test accuracy {percent(test_acc)}")
    write_curves(out, history)
    print(f"total time {seconds:.1f} s (data loading included)")
    print(f"draw digits with this model: python draw.py --model {shlex.quote(out)}", flush=True)
    if watch is not None:                          # the files are written: Ctrl-C closes the view
        interrupts.raise_on_signals()
        try:
            watch.results(C, X_test, y_test, probs, f"fnn {name}: test set, {args.test}")
        except KeyboardInterrupt:
            pass
    return 0


def check_progress(args, history, start, epoch, val_acc, y_val):
    """After an epoch: raise UsageError when the run is failing without a NaN (ui.progress)."""
    first = history["loss"][0]
    if args.init is not None:      # a trained start's first loss is far below a fresh one's ln 10
        first = max(first, float(np.log(fnn.data.NUM_CLASSES)))
    why = progress.failing(history["loss"][max(start, 1):], first, epoch, epoch == args.epochs,
                           val_acc, y_val)                     # losses after the first update
    if why is not None:
        raise UsageError(f"training failed: {why}; nothing written; "
                         f"{progress.try_instead(args.optimizer, args.lr)}")


def open_watch(args, out, layers, history, about, m, X_test, y_test):
    """The --watch window (ui.lab.Watch), with --compare's curves; pygame loads only here."""
    compare = None
    if args.compare:
        try:
            compare = (os.path.basename(args.compare), ui.history.read(ui.history.path_for(args.compare)))
        except ValueError as e:
            raise UsageError(f"--compare: {e}") from None
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame
    from ui.lab import Watch

    def snapshot(params, t):
        path = f"{os.path.splitext(out)[0]}_snapshot_{t}.npz"
        save(path, params, layers, {**about, "iterations": t, "snapshot": True})
        return path

    total = args.epochs * -(-m // args.batch_size)
    try:
        return Watch(layers, history, total, args.epochs, f"fnn {about['network']}: {about['recipe']}",
                     X_test[:, :16], y_test[:16], snapshot, compare)
    except pygame.error as e:
        raise UsageError(f"--watch: cannot open a window ({e})") from None


def interrupted(out, layers, about, history, best, last, epochs_done, X_val, y_val, seconds,
                code=130):
    """Ctrl-C (code 130) or SIGTERM (143): save the best params so far (by validation accuracy;
    the current ones count too). about: the meta every model file of this run carries."""
    interrupts.ignore()                                       # a second one cannot break the save
    if last is None:
        print(f"\n{PROG}: interrupted before the first iteration; nothing written", file=sys.stderr)
        return code
    print(f"\n{PROG}: interrupted at iteration {last['iteration']}; saving the best model so far "
          f"(Ctrl-C is ignored until that is done)", file=sys.stderr, flush=True)
    current = fnn.accuracy(last["params"], X_val, y_val, layers) if y_val.size else None
    chosen, how = last["params"], f"the current weights (iteration {last['iteration']})"
    if best["params"] is not None and current is not None and best["val_acc"] > current:
        chosen, how = best["params"], f"the weights after epoch {best['epoch']}"
        current = best["val_acc"]
    meta = {**about, "test_accuracy": None, "val_accuracy": current, "epochs_done": epochs_done,
            "saved": how, "iterations": last["iteration"], "seconds": round(seconds, 1),
            "interrupted": True}
    try:
        save(out, chosen, layers, meta)
        curve(out, history, f"fnn {about['network']}: {about['recipe']} (interrupted)",
              f"validation accuracy {percent(current)}")
        write_curves(out, history)
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    print(f"{PROG}: saved {how}, validation accuracy {percent(current)}, to {out}", file=sys.stderr)
    return code


def save(out, params, layers, meta):
    """fnn.save (atomic), announcing whether it created or replaced the file."""
    existed = os.path.exists(out)
    try:
        fnn.save(out, params, layers, meta=meta)
    except ValueError as e:                                   # NaN/inf weights: refuse to write
        raise UsageError(f"training diverged ({e}); nothing written; try a lower learning rate") from None
    except OSError as e:
        raise UsageError(f"{out}: cannot write the model ({e.strerror or e})") from None
    print(f"{'replaced' if existed else 'saved'} model {out}", flush=True)


def write_curves(out, history):
    """The curve data beside the model (ui.history): a warning, not an error, when it fails."""
    path = ui.history.path_for(out)
    existed = os.path.exists(path)
    try:
        ui.history.write(path, history)
    except OSError as e:
        print(f"{PROG}: warning: could not write the curve data {path} ({e.strerror or e})",
              file=sys.stderr)
        return
    print(f"{'replaced' if existed else 'saved'} curve data {path}", flush=True)


# ---- the training curve, drawn with pygame (ui.curves) -------------------------------------

def curve(out, history, title, subtitle):
    """Loss (top) and accuracy (bottom) over iterations, with validation accuracy per epoch
    (ui.curves.curve_figure), saved atomically as <out without extension>.png."""
    path = os.path.splitext(out)[0] + ".png"
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame
    from ui.curves import curve_figure

    surf = curve_figure(history, title, subtitle)
    existed = os.path.exists(path)
    try:
        files.atomic_write(path, lambda f: pygame.image.save(surf, f, "png"), suffix=".png")
    except (pygame.error, OSError) as e:
        print(f"{PROG}: warning: could not write the training curve {path} ({e})", file=sys.stderr)
        return
    print(f"{'replaced' if existed else 'saved'} training curve {path}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
