"""Is a training run learning? Checks on its losses and accuracies, and the rate to try instead.

A run can fail without a NaN: at --lr 100 Adam's first steps throw the weights far out, the
loss jumps to 30 times its first value, every prediction is the same digit and validation
accuracy sits at chance (11.35 % on MNIST's test set: the share of 1s). train.py stops such a
run at the end of the epoch that shows it (failing), saves nothing, and names the rate to try
instead (try_instead).
"""
import math

import numpy as np

from fnn.analysis.report import percent
from fnn.optimizers import OPTIMIZERS

# Learning rates that train both networks of train.py (MLP and CNN, batch 128, cosine schedule,
# the other defaults): tests/test_train.py reruns a failed run with the rate suggested here.
GOOD_LR = {name: o.lr for name, o in OPTIMIZERS.items()}
LOSS_FACTOR = 3.0      # "far above its start": the mean loss of an epoch > 3 J_1
Z = 3.0                # "no better than chance": within 3 standard deviations of it


def chance_accuracy(y):
    """The accuracy of always answering the most frequent label of y (m,): max_k #{y = k} / m."""
    y = np.asarray(y)
    return float(np.bincount(y).max() / y.size) if y.size else 0.0


def no_better_than_chance(acc, y):
    """True when accuracy `acc` on the labels y (m,) is within Z binomial standard deviations
    of chance p = chance_accuracy(y):  acc m <= p m + Z sqrt(m p (1 - p)).
    A constant answer scores at most p. False when even a perfect score would be within that
    band (a handful of rows cannot tell a good run from a lucky guess)."""
    m, p = len(y), chance_accuracy(y)
    bound = p * m + Z * math.sqrt(m * p * (1 - p))
    return m > bound and acc * m <= bound


def loss_far_above(losses, first, factor=LOSS_FACTOR):
    """True when the mean of `losses` (an epoch's batch losses) exceeds factor * first, the
    loss of the first batch (before any update: about ln 10 = 2.3 for 10 classes)."""
    return len(losses) > 0 and float(np.mean(losses)) > factor * first


def suggest_lr(optimizer, lr):
    """A learning rate to try after a run at `lr` failed: GOOD_LR[optimizer], which trains
    from any start; None when the run already used it (the problem is elsewhere)."""
    good = GOOD_LR.get(optimizer)
    return None if good is None or math.isclose(lr, good) else good


def failing(losses, first, epoch, last, val_acc, y_val):
    """Why the run is failing after epoch `epoch`, in words, or None when it is not.
    losses: the epoch's batch losses after the first update; first: the first batch's loss;
    last: this is the run's last epoch; val_acc: validation accuracy on the labels y_val, or None.
    Failing: the epoch's mean loss far above first (loss_far_above); or validation accuracy no
    better than chance, with the loss not falling (any epoch) or at the last epoch."""
    if loss_far_above(losses, first):
        mean = float(np.mean(losses))
        return (f"the loss stayed far above its start in epoch {epoch} (mean {mean:.3g}, "
                f"{mean / first:.0f}x the first batch's {first:.3g})")
    if val_acc is not None:
        stuck = last or (len(losses) > 0 and float(np.mean(losses)) >= first)
        if stuck and no_better_than_chance(val_acc, y_val):
            return (f"validation accuracy {percent(val_acc)} after epoch {epoch} is no better than "
                    f"chance ({percent(chance_accuracy(y_val))}: always answering the most "
                    f"frequent digit)")
    return None


def try_instead(optimizer, lr):
    """What to change after a failed run at `lr` with `optimizer`: a rate known to train (suggest_lr)."""
    good = suggest_lr(optimizer, lr)
    if good is None:
        return (f"--lr {lr:g} is the rate that trains with --optimizer {optimizer}: "
                f"check the data (--max-rows) and the other options")
    return f"try --lr {good:g}, a rate that trains with --optimizer {optimizer}"


# ---- the progress line of a run on a terminal ----------------------------------------------

BAR_EVERY = 0.2        # s between two redraws of the line


def clock(seconds):
    """Seconds as m:ss (h:mm:ss from an hour on)."""
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def bar_line(t, total, epoch, epochs, loss, acc, seconds, columns=80):
    """The one line a run on a terminal `columns` wide rewrites in place after iteration t of
    `total`: the share done, a bar of it in the room left (up to 30 characters, none below 5),
    the epoch, the batch loss and accuracy, iterations a second and the time left at that rate
    (rate = t / seconds, ETA = (total - t) / rate)."""
    done = min(max(t / total, 0.0), 1.0) if total else 1.0
    rate = t / seconds if seconds > 0 else 0.0
    eta = clock((total - t) / rate) if rate > 0 else "-"
    numbers = (f" {t}/{total}  epoch {epoch}/{epochs}  loss {loss:.3f}  acc {acc:.1%}  "
               f"{rate:.0f} it/s  ETA {eta}")
    width = min(30, columns - 1 - len(numbers) - 7)
    bar = f" [{'#' * int(done * width)}{'.' * (width - int(done * width))}]" if width >= 5 else ""
    return (f"{done:4.0%}{bar}{numbers}")[:columns - 1]
