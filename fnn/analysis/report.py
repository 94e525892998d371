"""Evaluation reports: the confusion matrix, per-class accuracy, and their text tables.

    C = confusion_matrix(y, predict(params, X))      # C[i, j] = examples of class i predicted as j
    print("\n".join(format_report(C)))
    mistakes(predict_proba(params, X), y)[:24]       # the 24 most confident mistakes
"""
import numpy as np


def confusion_matrix(y_true, y_pred, n_classes=10):
    """C (n_classes, n_classes) int64 with C[i, j] = #{k : y_true[k] = i and y_pred[k] = j}.
    Rows are the true classes, columns the predictions; trace(C) / sum(C) is the accuracy.
    One bincount of the pair index i * n_classes + j, no loop over examples."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape}, y_pred has shape {y_pred.shape}")
    counts = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)


def per_class_accuracy(C):
    """Recall of each class: C[i, i] / sum_j C[i, j]  (n_classes,) float; NaN for a class with
    no examples."""
    C = np.asarray(C)
    support = C.sum(axis=1)
    return np.where(support > 0, np.diag(C) / np.maximum(support, 1), np.nan)   # no division by 0


def format_report(C):
    """Per-class accuracy and the confusion matrix as lines of text (a list of str)."""
    C = np.asarray(C)
    n = C.shape[0]
    acc = per_class_accuracy(C)
    support = C.sum(axis=1)
    lines = ["per-class accuracy:"]
    for i in range(n):
        shown = "   n/a" if np.isnan(acc[i]) else f"{100 * acc[i]:6.2f}%"
        lines.append(f"  {i}: {shown}  ({C[i, i]}/{support[i]})")
    width = max(4, len(str(C.max())) + 1)
    lines.append("confusion matrix (rows: true digit, columns: predicted digit):")
    lines.append("      " + "".join(f"{j:>{width}}" for j in range(n)))
    for i in range(n):
        lines.append(f"  {i:>2}  " + "".join(f"{C[i, j]:>{width}}" for j in range(n)))
    return lines


def percent(a):
    """An accuracy in [0, 1] as "98.52%", or "n/a" for None (no validation rows)."""
    return "n/a" if a is None else f"{100 * a:.2f}%"


def top_k(probs, k=3):
    """The k most probable classes of each column of probs (n_classes, m), most probable first:
    (classes (k, m) int64, their probabilities (k, m)). Ties go to the lower class."""
    probs = np.asarray(probs)
    order = np.argsort(-probs, axis=0, kind="stable")[:k]
    return order, np.take_along_axis(probs, order, axis=0)


def cell_examples(probs, y_true, true=None, pred=None):
    """Indices of the examples in one cell of the confusion matrix, y_true = true and
    argmax probs = pred (None: any class), most confident first: by descending probability
    of the predicted class. -> (k,) int64."""
    y_true, y_pred = np.asarray(y_true), np.asarray(probs).argmax(axis=0)
    keep = np.ones(y_true.shape, dtype=bool)
    if true is not None:
        keep &= y_true == true
    if pred is not None:
        keep &= y_pred == pred
    return _most_confident_first(probs, y_pred, keep)


def mistakes(probs, y_true):
    """Indices of the misclassified examples, most confident mistakes first. -> (k,) int64."""
    y_pred = np.asarray(probs).argmax(axis=0)
    return _most_confident_first(probs, y_pred, y_pred != np.asarray(y_true))


def _most_confident_first(probs, y_pred, keep):
    idx = np.flatnonzero(keep)
    return idx[np.argsort(-np.asarray(probs)[y_pred[idx], idx], kind="stable")]
