"""Honest confidence: how far the network's probabilities are from how often it is right, and
one number, a temperature T, that brings them closer (Guo et al. 2017, "On calibration of
modern neural networks").

    T = fit_temperature(P_val, y_val)        # P (K, m) = A[L] on the validation rows
    Q = scale(P_test, T)                     # softmax(Z / T), the same argmax as P
    ece(P_test, y_test), ece(Q, y_test)      # expected calibration error, before and after

softmax is unchanged by adding a constant to every Z[k] of a column, so log P = Z - logsumexp(Z)
serves as the logits: softmax(log P / T) = softmax(Z / T). docs/math.md section 9.
"""
import numpy as np

BINS = 15                        # the reliability diagram's bins, as in Guo et al.
_TINY = 1e-30                    # log of a probability that underflowed to 0


def scale(P, T):
    """softmax(log P / T) (K, m) of probabilities P (K, m): temperature T > 1 softens, T < 1
    sharpens, T = 1 gives P back (to rounding)."""
    Z = np.log(np.maximum(np.asarray(P, np.float64), _TINY)) / T
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def scaled_params(params, T):
    """The params of the calibrated network: softmax((W[L] A[L-1] + b[L]) / T) is the network
    with W[L] and b[L] divided by T (for a softmax right after the last weights). A new dict."""
    L = sum(1 for k in params if k.startswith("W"))
    return {**params, f"W{L}": params[f"W{L}"] / params[f"W{L}"].dtype.type(T),
            f"b{L}": params[f"b{L}"] / params[f"b{L}"].dtype.type(T)}


def nll(P, y, T):
    """The mean cross-entropy -(1/m) sum_j log softmax(log P / T)[y_j, j] at each temperature of
    T (an array of any shape), vectorised over T and the m columns -> shaped like T."""
    T = np.asarray(T, np.float64)
    logP = np.log(np.maximum(np.asarray(P, np.float64), _TINY))          # (K, m)
    Z = logP[None] / T.reshape(-1, 1, 1)                                 # (t, K, m)
    top = Z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(Z - top).sum(axis=1)) + top[:, 0]                # (t, m)
    picked = Z[:, y, np.arange(len(y))]                                  # (t, m)
    return (lse - picked).mean(axis=1).reshape(T.shape)


MIN_ROWS = 100      # fewer validation rows than this fit a temperature to noise: T stays 1


def fit_temperature(P, y, low=0.05, high=20.0, steps=60):
    """argmin over T of nll(P, y, T), by golden-section search on log T in [log low, log high]
    (the NLL is convex in 1/T, so one minimum): each step keeps the 0.618 of the interval that
    holds it. -> T (float)."""
    y = np.asarray(y).reshape(-1)
    a, b = np.log(low), np.log(high)
    g = (np.sqrt(5) - 1) / 2
    for _ in range(steps):
        c, d = b - g * (b - a), a + g * (b - a)
        fc, fd = nll(P, y, np.exp([c, d]))
        a, b = (a, d) if fc < fd else (c, b)
    return float(np.exp((a + b) / 2))


def reliability(P, y, bins=BINS):
    """The reliability diagram of P (K, m) for labels y (m,): the confidence c_j = max_k P[k, j]
    binned into `bins` equal bins of (0, 1]; -> (count (bins,), mean confidence, accuracy) with
    NaN for an empty bin's mean and accuracy."""
    P, y = np.asarray(P), np.asarray(y).reshape(-1)
    conf, right = P.max(axis=0), (P.argmax(axis=0) == y)
    b = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)       # bin of (i/bins, (i+1)/bins]
    count = np.bincount(b, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(b, conf, bins) / count
        acc = np.bincount(b, right, bins) / count
    return count, mean_conf, acc


def ece(P, y, bins=BINS):
    """Expected calibration error: ECE = sum_b (n_b / m) |acc_b - conf_b| over the bins of
    reliability(P, y, bins); 0 for a network exactly as sure as it is right."""
    count, conf, acc = reliability(P, y, bins)
    full = count > 0
    return float(np.sum(count[full] / count.sum() * np.abs(acc[full] - conf[full])))


def model_temperature(meta):
    """The temperature stored in a model's meta (train.py, --calibrate), 1.0 for models without."""
    T = meta.get("temperature", 1.0) if isinstance(meta, dict) else 1.0
    return float(T) if isinstance(T, (int, float)) and np.isfinite(T) and T > 0 else 1.0
