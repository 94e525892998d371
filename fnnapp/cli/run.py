"""One training run from train.py's command line, around fnn.training.fit:

    check   the options, the network and the paths, before anything is read
    load    the training CSVs (split into training and validation rows) and the test CSV
    fit     printing a line every --log-every steps and after each epoch; a diverged or
            failing run stops with nothing written (fnnapp.cli.progress)
    report  test accuracy, per-class accuracy and the confusion matrix (fnn.analysis.report)
    save    the model (fnn.save), its curve PNG (fnnapp.views.curves) and curve CSV (fnnapp.cli.history),
            each written atomically and announced as saved or replaced

Ctrl-C or SIGTERM while training saves the best model so far and exits 130 or 143
(fnnapp.cli.interrupts). Every other problem is a UsageError: one line, and train.py exits 2.
"""
import os
import shlex
import shutil
import sys
import time

import numpy as np

import fnn
import fnn.io.data
import fnnapp.cli.history
import fnnapp.cli.sources
from fnn.io import files
from fnn.io import model_files
from fnn.io.model_files import load_digit_model
from fnn.digits.augment import AUGMENTATIONS
from fnn.analysis.calibration import MIN_ROWS, fit_temperature
from fnn.analysis.report import confusion_matrix, format_report, percent
from fnn.training import drive, fit, learning_rate
from fnnapp.cli import impl, interrupts, memory, networks, paths, progress

PROG = "train.py"
CHECK_ROWS = 10000       # training rows a run without validation data is scored on at its end


class UsageError(Exception):
    """A problem with the command line or the input: one line, exit code 2."""


def describe_recipe(args):
    """The training recipe in one line, as every model file's meta records it."""
    return (f"{args.optimizer} lr {args.lr:g} {args.schedule}, batch {args.batch_size}, "
            f"{args.epochs} epochs" + (f", l2 {args.l2:g}" if args.l2 else "")
            + (f", dropout {args.dropout:g}" if args.dropout else "")
            + (f", augment {args.augment}" if args.augment else "") + f", seed {args.seed}"
            + (f", your functions from {files.shown(args.impl)}" if getattr(args, "impl", None) else ""))


@np.errstate(over="ignore", invalid="ignore", divide="ignore")   # a diverging run says so once
def train(args, out, command, example_out):
    """Train the network of train.py's options `args` and save it to `out`; returns the exit
    code: 0, or 130/143 after Ctrl-C/SIGTERM (the best model so far saved, see interrupted).
    command: the command line, recorded in the model's meta; example_out: a model file name
    to suggest when `out` is a folder. UsageError: nothing written."""
    t_start = time.perf_counter()
    if args.init is not None:
        init, layers = load_init(args.init)
    else:
        init, layers = None, networks.network(args.arch, args.hidden, args.activation)
    check_options(args, layers)
    check_savable(args, layers, command)
    outs = check_out(out, inputs_of(args), example_out)
    check_inputs(args)
    init_seed, split_seed, fit_seed = np.random.SeedSequence(args.seed).spawn(3)
    X_train, y_train, X_val, y_val, X_test, y_test = load_data(args, np.random.default_rng(split_seed))
    sources = fnnapp.cli.sources.describe_sources(args.train)
    print(f"data: {y_train.size} training, {y_val.size} validation rows from {sources}; "
          f"{y_test.size} test rows from {args.test} ({time.perf_counter() - t_start:.1f} s)", flush=True)

    mine = getattr(args, "impl_module", None)      # train.py --impl: the learner's functions
    params = init if init is not None else (impl.init_params(mine, layers, init_seed) if mine else
                                            fnn.init_params(layers, seed=init_seed))
    name, recipe = networks.describe(layers), describe_recipe(args)
    start = f", starting from {args.init}" if args.init else ""
    print(f"network: {name} ({sum(p.size for p in params.values()):,} parameters{start}); {recipe}",
          flush=True)
    about = {"command": command, "network": name, "recipe": recipe,      # every model file's meta
             "train": sources, "test": args.test, "init": args.init, "lr_changes": []}
    seen = Seen()
    seen.every, seen.bar = log_mode(args.log_every)
    seen.total = args.epochs * -(-y_train.size // args.batch_size)
    watch = open_watch(args, outs, layers, seen.history, about, y_train.size, X_test, y_test) \
        if args.watch else None
    gen = fit(params, X_train, y_train, layers, optimizer=args.optimizer, epochs=args.epochs,
              batch_size=args.batch_size, lr=args.lr, schedule=args.schedule,
              schedule_args={"decay": args.decay, "drop": args.drop, "every": args.every},
              l2=args.l2, dropout=args.dropout, augment=AUGMENTATIONS.get(args.augment),
              X_val=X_val, y_val=y_val, seed=fit_seed, lr_changes=args.lr_change)
    if mine:                         # the same records from the learner's functions (fnnapp.cli.impl)
        gen = impl.fit(mine, params, X_train, y_train, args.epochs, args.batch_size, args.lr,
                       X_val, y_val, fit_seed, args.lr_change)

    def see(rec):                    # the watch window's reply goes back into fit (fit's docstring)
        follow(args, rec, seen, about, y_val)
        return watch.see(rec) if watch is not None else None
    try:
        drive(gen, see)
        params = seen.last["params"]
        if not y_val.size:                         # no validation data: did it learn at all?
            check_learned(args, params, layers, X_train, y_train)
        probs = impl.predict_proba(mine, params, X_test) if mine else fnn.predict_proba(params, X_test, layers)
        if not np.isfinite(probs).all():
            raise UsageError(f"training failed: the network's outputs on the test set are not "
                             f"finite (its weights overflow); nothing written; "
                             f"{progress.try_instead(args.optimizer, args.lr)}")
        C = confusion_matrix(y_test, probs.argmax(axis=0))
    except UsageError:                             # the line below the progress bar
        clear_bar(seen)
        raise
    except KeyboardInterrupt as stop:              # in training or in the test evaluation
        clear_bar(seen)
        return interrupted(outs, layers, about, seen, X_val, y_val, time.perf_counter() - t_start,
                           interrupts.exit_code(stop))

    interrupts.ignore()                            # from here on, finish writing the files
    clear_bar(seen)
    test_acc = float(np.trace(C) / C.sum())
    print(f"test accuracy {percent(test_acc)} on {y_test.size} rows of {args.test}")
    for line in format_report(C):
        print(line)
    seconds = time.perf_counter() - t_start
    val = seen.history["val"]
    meta = {**about, "test_accuracy": test_acc, "val_accuracy": val[-1][1] if val else None,
            "epochs_done": args.epochs, "iterations": seen.last["iteration"],
            "seconds": round(seconds, 1), "interrupted": False,
            **temperature(params, layers, X_val, y_val)}
    save_run(outs, params, layers, meta, seen.history, f"fnn {name}: {recipe}",
             f"test accuracy {percent(test_acc)}")
    print(f"total time {seconds:.1f} s (data loading included)")
    print(f"draw digits with this model: python draw.py --model {shlex.quote(out)}", flush=True)
    if watch is not None:                          # the files are written: Ctrl-C closes the view
        interrupts.raise_on_signals()
        import pygame
        try:
            with interrupts.waking(lambda: pygame.event.post(pygame.event.Event(pygame.USEREVENT))):
                watch.results(C, X_test, y_test, probs, f"fnn {name}: test set, {files.shown(args.test)}")
        except KeyboardInterrupt as stop:
            print(f"\n{PROG}: interrupted in the results view; the model and its curves were "
                  f"saved to {files.shown(out)}", file=sys.stderr)
            return interrupts.exit_code(stop)
    return 0


def temperature(params, layers, X_val, y_val):
    """{"temperature": T, "calibration": ...} fitted on the validation rows (fnn.analysis.calibration),
    or {} (T = 1) with fewer than MIN_ROWS validation rows; the pad's bars and --evaluate use it."""
    if y_val.size < MIN_ROWS:
        if y_val.size:
            print(f"temperature not fitted: {y_val.size} validation rows, fewer than {MIN_ROWS}", flush=True)
        return {}
    T = fit_temperature(fnn.predict_proba(params, X_val, layers), y_val)
    print(f"temperature T = {T:.3g} (softmax(Z / T)) fitted on {y_val.size} validation rows", flush=True)
    return {"temperature": T, "calibration": f"calibrated on {y_val.size} validation rows"}


# ---- before training: the checks and the data ----------------------------------------------

def load_init(path):
    """--init MODEL: (params as float32, layers) of the saved model, checked to be a digit model
    (fnn.io.model_files.load_digit_model)."""
    try:
        paths.check_input(path)
        params, layers, _ = load_digit_model(path)
    except (paths.PathError, fnn.ModelFileError) as e:
        raise UsageError(f"--init: {e}") from None
    return {k: v.astype(np.float32) for k, v in params.items()}, layers


def check_savable(args, layers, command):
    """Refuse before training, not after, a network or a command line whose model file fnn.save
    would refuse (too many parameters, a header over 64 KiB): the message a save would give."""
    meta = {"command": command, "network": networks.describe(layers), "recipe": describe_recipe(args),
            "train": fnnapp.cli.sources.describe_sources(args.train), "test": args.test,
            "init": args.init}
    try:
        model_files.check_savable(layers, meta)
    except ValueError as e:
        raise UsageError(f"the model could not be saved: {e}; nothing trained") from None


def check_options(args, layers):
    """Option values that parse but cannot work, refused before any data is read: a schedule
    whose learning rate overflows (or underflows to 0) during the run, and a network whose
    training would not fit in memory (fnnapp.cli.memory.training_bytes)."""
    def alpha(epoch):
        try:
            return learning_rate(args.lr, epoch, args.schedule, args.epochs, decay=args.decay,
                                 drop=args.drop, every=args.every)
        except (OverflowError, ZeroDivisionError):
            return float("inf")

    def bad(epoch):
        return not (np.isfinite(alpha(epoch)) and alpha(epoch) > 0)

    # Every schedule is monotone in the epoch, so once the rate overflows or underflows it stays
    # so: the first bad epoch is found by bisection, log2(--epochs) steps (--epochs 10^9: 30).
    if bad(0) or bad(args.epochs - 1):
        lo, hi = 0, args.epochs - 1
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if bad(mid) else (mid + 1, hi)
        given = {"step": f" --drop {args.drop:g} --every {args.every}",
                 "inverse_time": f" --decay {args.decay:g}"}.get(args.schedule, "")
        raise UsageError(f"--lr {args.lr:g} --schedule {args.schedule}{given}: the learning rate "
                         f"{'overflows' if alpha(lo) else 'underflows to 0'} at epoch {lo + 1}")
    need, have = memory.training_bytes(layers, args.batch_size, args.optimizer), memory.available_bytes()
    if have is not None and need > have:
        raise UsageError(f"the network {networks.describe(layers)} ({memory.parameter_count(layers):,} "
                         f"parameters) needs about {memory.human(need)} to train, and this machine "
                         f"has {memory.human(have)} available; choose smaller --hidden sizes")


def inputs_of(args):
    """Every file the run reads: --train's, --test, --init, --compare and its curve CSV."""
    compare = [args.compare, fnnapp.cli.history.path_for(args.compare)] if args.compare else []
    return [path for path, _ in args.train] + [args.test, args.init] + compare


def check_out(out, inputs, example_out):
    """The run's three outputs declared and checked at once by fnn.io.files, before training:
    the model `out`, its curve PNG and its curve CSV (UsageError, one line, when one of them
    may not be written: another kind of file, an input, a device, two on one path ...).
    Creates nothing. -> the checked outputs (model, png, csv)."""
    if os.path.isdir(out):
        raise UsageError(f"{out}: is a folder; --out needs a file name such as {example_out}")
    if os.path.splitext(out)[1].lower() == ".png":
        raise UsageError(f"{out}: --out names the model file (.npz); its curve goes next to it as .png")
    try:
        return files.check([files.declare(out, "model", "--out"),
                            files.declare(curve_png_for(out), "curve_png", "--out's curve"),
                            files.declare(fnnapp.cli.history.path_for(out), "curve_csv",
                                          "--out's curve data")], inputs)
    except files.WriteError as e:
        raise UsageError(str(e)) from None


def check_inputs(args):
    """--train and --test are regular files this process can read (not a FIFO, not a device);
    --compare's model, when there is one (its curve CSV is what it is read for), a digit model."""
    for what, path in [("--train", path) for path, _ in args.train] + [("--test", args.test)]:
        try:
            paths.check_input(path)
        except paths.PathError as e:
            raise UsageError(f"{what}: {e}") from None
    if args.compare and os.path.exists(args.compare):
        try:
            paths.check_input(args.compare)
            load_digit_model(args.compare)
        except (paths.PathError, fnn.ModelFileError) as e:
            raise UsageError(f"--compare: {e}") from None


def load_data(args, rng):
    """(X_train, y_train, X_val, y_val, X_test, y_test): --train's files split by --val-split
    with rng (fnnapp.cli.sources), and --test. Ctrl-C or SIGTERM meanwhile ends the process at once."""
    with interrupts.exit_at_once(PROG, "loading the data"):
        try:
            training = fnnapp.cli.sources.load_training(args.train, args.max_rows, args.val_split, rng)
        except fnn.io.data.DataError as e:
            raise UsageError(f"--train: {e}") from None
        except fnnapp.cli.sources.SplitError as e:                       # nothing left to train on
            raise UsageError(f"--val-split {e}") from None
        try:
            test = fnn.io.data.load_csv(args.test, max_rows=args.max_rows, labels=True)
        except fnn.io.data.DataError as e:
            raise UsageError(f"--test: {e}") from None
    return (*training, *test)


# ---- while training: what fit reports ------------------------------------------------------

class Seen:
    """What a run has seen so far: the curve (history: one entry a step, "val" one an epoch, as
    fnnapp.cli.history writes it), the last step's record, the best epoch's params by validation
    accuracy, and where the current epoch's losses start in history."""
    def __init__(self):
        self.history = {"iteration": [], "epoch": [], "loss": [], "acc": [], "lr": [], "val": []}
        self.last = None
        self.best = {"params": None, "val_acc": None, "epoch": 0}
        self.epochs_done, self.epoch_start = 0, 0
        self.every, self.bar = 10, False   # a full line every `every` steps, or the progress bar
        self.bar_shown, self.total, self.start = 0.0, 0, time.perf_counter()


def log_mode(log_every, stream=sys.stdout):
    """(every, bar): --log-every K prints a full line every K steps (0: none); without it a
    terminal gets one progress line rewritten in place (fnnapp.cli.progress.bar_line) and
    anything else, a file or a pipe, a full line every 10 steps."""
    if log_every is not None:
        return log_every, False
    return (0, True) if stream.isatty() else (10, False)


def show_bar(seen, rec, epochs, now):
    """Rewrite the progress line (at most every progress.BAR_EVERY s, and at an epoch's last step)."""
    if now - seen.bar_shown < progress.BAR_EVERY and rec["iteration"] != seen.total:
        return
    seen.bar_shown = now
    line = progress.bar_line(rec["iteration"], seen.total, rec["epoch"], epochs, rec["loss"],
                             rec["acc"], now - seen.start, shutil.get_terminal_size().columns)
    sys.stdout.write("\r" + line + "\033[K")
    sys.stdout.flush()


def clear_bar(seen):
    """Take the progress line off the terminal before a line that stays."""
    if seen.bar and seen.bar_shown:
        sys.stdout.write("\r\033[K")
        seen.bar_shown = 0.0


def follow(args, rec, seen, about, y_val):
    """Print and keep one record of fit; UsageError when the run diverged (a NaN or inf loss)
    or is failing without one (check_progress)."""
    if len(rec["lr_changes"]) > len(about["lr_changes"]):
        i, f = rec["lr_changes"][-1]
        print(f"learning rate x {f:g} from iteration {i} on (recorded in the model's "
              f"meta as lr_changes)", flush=True)
    about["lr_changes"] = [list(c) for c in rec["lr_changes"]]
    history = seen.history
    if rec["kind"] == "step":
        t, loss = rec["iteration"], rec["loss"]
        if not np.isfinite(loss):
            raise UsageError(f"training diverged at iteration {t} (loss = {loss}); nothing "
                             f"written; {progress.try_instead(args.optimizer, args.lr)}")
        seen.last = rec
        for key in ("iteration", "epoch", "loss", "acc", "lr"):
            history[key].append(rec[key])
        if seen.bar:
            show_bar(seen, rec, args.epochs, time.perf_counter())
        if seen.every and t % seen.every == 0:
            print(f"iter {t:6d}  epoch {rec['epoch']:3d}  loss {loss:.4f}  "
                  f"batch acc {100 * rec['acc']:6.2f}%  lr {rec['lr']:.2e}", flush=True)
        return
    e, val_acc = rec["epoch"], rec["val_acc"]
    seen.epochs_done = e
    if val_acc is not None:
        history["val"].append((rec["iteration"], val_acc))
    if seen.best["params"] is None or (val_acc is not None and val_acc > seen.best["val_acc"]):
        seen.best = {"params": rec["params"], "val_acc": val_acc, "epoch": e}
    clear_bar(seen)
    print(f"epoch {e}/{args.epochs}  validation accuracy {percent(val_acc)}  "
          f"elapsed {rec['elapsed']:.1f} s", flush=True)
    check_progress(args, history, seen.epoch_start, e, val_acc, y_val)
    seen.epoch_start = len(history["loss"])


def check_progress(args, history, start, epoch, val_acc, y_val):
    """After an epoch: raise UsageError when the run is failing without a NaN (fnnapp.cli.progress)."""
    first = history["loss"][0]
    if args.init is not None:      # a trained start's first loss is far below a fresh one's ln 10
        first = max(first, float(np.log(fnn.io.data.NUM_CLASSES)))
    why = progress.failing(history["loss"][max(start, 1):], first, epoch, epoch == args.epochs,
                           val_acc, y_val)                     # losses after the first update
    if why is not None:
        raise UsageError(f"training failed: {why}; nothing written; "
                         f"{progress.try_instead(args.optimizer, args.lr)}")


def check_learned(args, params, layers, X_train, y_train):
    """Without validation data (--val-split 0): UsageError when the trained params score no
    better than chance on (up to CHECK_ROWS of) the training rows, the rule validation
    accuracy gives a run that has some (fnnapp.cli.progress.no_better_than_chance)."""
    X, y = X_train[:, :CHECK_ROWS], y_train[:CHECK_ROWS]
    acc = fnn.accuracy(params, X, y, layers)
    if progress.no_better_than_chance(acc, y):
        raise UsageError(f"training failed: accuracy {percent(acc)} on {y.size:,} training rows "
                         f"(there is no validation data) is no better than chance "
                         f"({percent(progress.chance_accuracy(y))}: always answering the most "
                         f"frequent digit); nothing written; {progress.try_instead(args.optimizer, args.lr)}")


def open_watch(args, outs, layers, history, about, m, X_test, y_test):
    """The --watch window (fnnapp.views.lab.Watch), with --compare's curves; pygame loads only here."""
    compare = None
    if args.compare:
        try:
            compare = (files.shown(os.path.basename(args.compare)), fnnapp.cli.history.read(fnnapp.cli.history.path_for(args.compare)))
        except ValueError as e:
            raise UsageError(f"--compare: {e}") from None
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame
    from fnnapp.views.lab import Watch

    def snapshot(params, t):
        """S in the window: the weights to <out>_snapshot_<t>.npz (a "snapshot" output); the
        path, or why it was not written (training goes on either way)."""
        path = f"{os.path.splitext(outs[0].path)[0]}_snapshot_{t}.npz"
        try:
            save_model(files.check_one(path, "snapshot", "snapshot", inputs_of(args) + [
                o.path for o in outs]), params, layers, {**about, "iterations": t, "snapshot": True})
        except (UsageError, files.WriteError) as e:
            return f"not saved: {e}"
        return path

    total = args.epochs * -(-m // args.batch_size)
    try:
        return Watch(layers, history, total, args.epochs, f"fnn {about['network']}: {about['recipe']}",
                     X_test[:, :16], y_test[:16], snapshot, compare)
    except pygame.error as e:
        raise UsageError(f"--watch: cannot open a window ({e})") from None


def interrupted(outs, layers, about, seen, X_val, y_val, seconds, code):
    """Ctrl-C (code 130) or SIGTERM (143): save the best params so far (by validation accuracy;
    the current ones count too). about: the meta every model file of this run carries."""
    interrupts.ignore()                                       # a second one cannot break the save
    last, best = seen.last, seen.best
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
    meta = {**about, "test_accuracy": None, "val_accuracy": current, "epochs_done": seen.epochs_done,
            "saved": how, "iterations": last["iteration"], "seconds": round(seconds, 1),
            "interrupted": True}
    try:
        save_run(outs, chosen, layers, meta, seen.history,
                 f"fnn {about['network']}: {about['recipe']} (interrupted)",
                 f"validation accuracy {percent(current)}")
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    print(f"{PROG}: saved {how}, validation accuracy {percent(current)}, to {outs[0].path}",
          file=sys.stderr)
    return code


# ---- after training: the files -------------------------------------------------------------

def numbered(path):
    """A default --out that replaces nothing: path itself when neither it nor its curve files
    exist, else the first free path-2, path-3, ... (models/mnist_mlp-2.npz)."""
    stem, ext = os.path.splitext(path)
    k, out = 1, path
    while any(os.path.lexists(p) for p in (out, curve_png_for(out), fnnapp.cli.history.path_for(out))):
        k += 1
        out = f"{stem}-{k}{ext}"
    return out


def curve_png_for(out):
    """The curve PNG of a model file: models/run.npz -> models/run.png."""
    return os.path.splitext(out)[0] + ".png"


def save_run(outs, params, layers, meta, history, title, subtitle):
    """The run's three files, the outputs check_out accepted: the model (UsageError when it
    cannot be written), then its curve PNG and curve CSV (a warning each when they cannot be:
    the model is what the run is for)."""
    model, png, csv = outs
    save_model(model, params, layers, meta)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")        # a picture, no window
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame
    from fnnapp.views.curves import curve_figure
    surf = curve_figure(history, title, subtitle)
    failed = try_write(png.path, "training curve", OSError, lambda: files.write(
        png, lambda f: pygame.image.save(surf, f, "png"), suffix=".png"))
    if failed is not None:
        warn(f"could not write the training curve: {failed}")
    failed = try_write(csv.path, "curve data", OSError, lambda: fnnapp.cli.history.write(csv, history))
    if failed is not None:
        warn(f"could not write the curve data: {failed}")


def save_model(out, params, layers, meta):
    """fnn.save (atomic) to the checked output `out`; UsageError when the weights are not
    finite or the file cannot be written."""
    failed = try_write(out.path, "model", (ValueError, OSError),
                       lambda: fnn.save(out, params, layers, meta=meta))
    if isinstance(failed, ValueError) and "NaN or inf" in str(failed):     # refuse to write
        raise UsageError(f"training diverged ({failed}); nothing written; try a lower learning rate")
    if failed is not None:
        raise UsageError(f"cannot write the model: {failed}")


def try_write(path, what, errors, write):
    """Call write(), then say "saved WHAT PATH" ("replaced" when PATH was there before).
    Returns the error of type `errors` that write() raised (nothing said then), or None."""
    existed = os.path.exists(path)
    try:
        write()
    except errors as e:
        return e
    print(f"{'replaced' if existed else 'saved'} {what} {files.shown(path)}", flush=True)
    return None


def warn(message):
    print(f"{PROG}: warning: {message}", file=sys.stderr)
