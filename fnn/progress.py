"""Is a training run learning? Checks on its losses and accuracies, and the rate to try instead.

A run can fail without a NaN: at --lr 100 Adam's first steps throw the weights far out, the
loss jumps to 30 times its first value, every prediction is the same digit and validation
accuracy sits at chance (11.35 % on MNIST's test set: the share of 1s). train.py stops such a
run at the end of the epoch that shows it and saves nothing.
"""
import math

import numpy as np

# Learning rates that train both networks of train.py (MLP and CNN, batch 128, cosine schedule,
# the other defaults): tests/test_train.py reruns a failed run with the rate suggested here.
GOOD_LR = {"sgd": 0.1, "momentum": 0.1, "adam": 2e-3}
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
