"""2-D datasets for the playground (TensorFlow Playground's, plus moons and three spirals), the
train/test split, and the input features computed from a point's two coordinates.

    U, y = make("spiral", n=400, noise=0.1, seed=0)     # U (2, n) points in [-6, 6]^2, y (n,)
    (U_tr, y_tr), (U_te, y_te) = split(U, y, train=0.5, seed=0)
    X = features(U_tr, ("x1", "x2", "sin x1"))          # X (3, m) float32, the network's input

A classification set has integer labels y in 0..classes-1; a regression set ("plane", "bumps")
has targets y in [0, 1], which a sigmoid output fits with the MSE loss. `noise` in [0, 1] is
the standard deviation of the Gaussian jitter added to every point, in units of RANGE / 6
(1 for the default RANGE of 6), as TF Playground's 0-50 % slider moves its points.
Pure functions: the same name, n, noise and seed give the same points, bit for bit.
"""
from typing import Callable, NamedTuple

import numpy as np

RANGE = 6.0                     # points lie in [-RANGE, RANGE]^2 (TF Playground's square)


class Dataset(NamedTuple):
    make: Callable              # make(rng, n, noise) -> (U (2, n), y (n,))
    classes: int                # 2 or 3 for classification, 0 for regression (targets in [0, 1])


def _jitter(rng, U, noise):
    return U + noise * RANGE / 6 * rng.standard_normal(U.shape)


def circle(rng, n, noise):
    """Class 1 inside radius 2.5, class 0 on a ring from 3.5 to 5 around it."""
    k = n // 2
    r = np.r_[rng.uniform(0, 2.5, k), rng.uniform(3.5, 5, n - k)]
    t = rng.uniform(0, 2 * np.pi, n)
    return _jitter(rng, np.stack([r * np.cos(t), r * np.sin(t)]), noise), (np.arange(n) < k).astype(np.int64)


def xor(rng, n, noise):
    """Uniform points kept 0.3 off the axes; class 1 where x1 x2 > 0 (the two quadrants of XOR)."""
    U = rng.uniform(-5, 5, (2, n))
    U += np.where(U > 0, 0.3, -0.3)
    return _jitter(rng, U, noise), (U[0] * U[1] > 0).astype(np.int64)


def gaussians(rng, n, noise):
    """Two round clouds, class 1 around (2, 2) and class 0 around (-2, -2), of spread 1 + noise."""
    k = n // 2
    y = (np.arange(n) < k).astype(np.int64)
    centre = np.where(y == 1, 2.0, -2.0)
    return centre + (1 + 3 * noise) * rng.standard_normal((2, n)), y


def _spirals(rng, n, noise, arms):
    """`arms` interleaved spirals, r = 5 s, angle 1.75 turns x s + 2 pi c / arms, s in [0, 1)."""
    y = np.arange(n) % arms
    s = rng.uniform(0, 1, n)
    t = 1.75 * 2 * np.pi * s + 2 * np.pi * y / arms
    U = 5 * s * np.stack([np.sin(t), np.cos(t)])
    return _jitter(rng, U, noise), y.astype(np.int64)


def spiral(rng, n, noise):
    """Two interleaved spirals (Lang and Witbrock's benchmark, TF Playground's hardest set)."""
    return _spirals(rng, n, noise, 2)


def spiral3(rng, n, noise):
    """Three interleaved spirals, three classes (CS231n's softmax example)."""
    return _spirals(rng, n, noise, 3)


def moons(rng, n, noise):
    """Two interleaving half circles (scikit-learn's make_moons), scaled by 3 and centred."""
    k = n // 2
    t = np.pi * rng.uniform(0, 1, n)
    y = (np.arange(n) >= k).astype(np.int64)
    U = np.where(y == 0, np.stack([np.cos(t), np.sin(t)]), np.stack([1 - np.cos(t), 0.5 - np.sin(t)]))
    return _jitter(rng, 3 * (U - np.array([[0.5], [0.25]])), noise), y


def plane(rng, n, noise):
    """Regression: the target rises linearly across the plane, y = (x1 + x2 + 12) / 24 in [0, 1]."""
    U = rng.uniform(-RANGE, RANGE, (2, n))
    return _jitter(rng, U, noise), (U[0] + U[1] + 2 * RANGE) / (4 * RANGE)


def bumps(rng, n, noise):
    """Regression: a sum of Gaussian bumps, up at (+-3, +-3) on one diagonal, down on the other,
    y = 0.5 + 0.5 sum_k s_k exp(-|u - c_k|^2 / 4) in [0, 1]."""
    U = rng.uniform(-RANGE, RANGE, (2, n))
    c = np.array([[3, -3, 3, -3], [3, -3, -3, 3]], np.float64)
    s = np.array([1, 1, -1, -1], np.float64)
    d2 = ((U[:, :, None] - c[:, None, :]) ** 2).sum(axis=0)
    return _jitter(rng, U, noise), np.clip(0.5 + 0.5 * (np.exp(-d2 / 4) @ s), 0, 1)


DATASETS = {
    "circle": Dataset(circle, 2), "xor": Dataset(xor, 2), "gaussians": Dataset(gaussians, 2),
    "spiral": Dataset(spiral, 2), "moons": Dataset(moons, 2), "spiral3": Dataset(spiral3, 3),
    "plane": Dataset(plane, 0), "bumps": Dataset(bumps, 0),
}


def make(name, n=400, noise=0.0, seed=0):
    """n points of dataset `name` -> (U (2, n) float64, y (n,)): int64 labels, or float64
    targets in [0, 1] for a regression set. The order is shuffled (split takes a prefix)."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")
    if not 0 <= noise <= 1:
        raise ValueError(f"noise must be in [0, 1], got {noise}")
    rng = np.random.default_rng(seed)
    U, y = DATASETS[name].make(rng, int(n), float(noise))
    order = rng.permutation(U.shape[1])
    return U[:, order], y[order]


def split(U, y, train=0.5):
    """The first round(train * n) points for training, the rest for testing (make shuffled them):
    -> ((U_train, y_train), (U_test, y_test))."""
    k = int(round(train * U.shape[1]))
    return (U[:, :k], y[:k]), (U[:, k:], y[k:])


# The input features of TF Playground. x1, x2 are the coordinates over SCALE, in [-2, 2]:
# TF Playground feeds them raw, in [-6, 6]; a third of that keeps every feature within a few
# units, and lets tanh units bend sharply enough for the spiral (0.82 -> 0.97 test accuracy in
# 2,000 steps of an 8,8 tanh network, seed 0, against u / 6). The squares and the product are of
# x1, x2; the sines of the coordinates themselves (about two periods across the square).
SCALE = 3.0
FEATURES = {
    "x1": lambda U: U[0] / SCALE,
    "x2": lambda U: U[1] / SCALE,
    "x1^2": lambda U: (U[0] / SCALE) ** 2,
    "x2^2": lambda U: (U[1] / SCALE) ** 2,
    "x1*x2": lambda U: U[0] * U[1] / SCALE ** 2,
    "sin x1": lambda U: np.sin(U[0]),
    "sin x2": lambda U: np.sin(U[1]),
}


def features(U, names):
    """The features `names` (keys of FEATURES, in that order) of the points U (2, m) ->
    X (len(names), m) float32, one row a feature: the network's input A[0]."""
    unknown = [n for n in names if n not in FEATURES]
    if unknown or not names:
        raise ValueError(f"unknown or no features {unknown}; choose from {', '.join(FEATURES)}")
    return np.stack([FEATURES[n](U) for n in names]).astype(np.float32)


def grid(side, extent=RANGE):
    """side x side points covering [-extent, extent]^2 as U (2, side^2), row by row from the top
    (x2 = +extent) down, x1 from left to right: reshape(side, side) of any per-point value is
    the picture of the plane."""
    v = np.linspace(-extent, extent, side)
    x1, x2 = np.meshgrid(v, v[::-1])
    return np.stack([x1.ravel(), x2.ravel()])
