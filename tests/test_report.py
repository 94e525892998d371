"""fnn.analysis.report: the confusion matrix, per-class accuracy, the text report, and the
top-k and mistake orderings the lab and --predictions use."""
import numpy as np

from fnn.analysis.report import (cell_examples, confusion_matrix, format_report, mistakes,
                                 per_class_accuracy, top_k)


def test_confusion_matrix_and_report():
    y = np.array([0, 0, 1, 2, 2, 2])
    p = np.array([0, 1, 1, 2, 0, 2])
    C = confusion_matrix(y, p, 3)
    assert C.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert np.allclose(per_class_accuracy(C), [0.5, 1.0, 2 / 3])
    text = format_report(confusion_matrix(y, p))
    assert text[1] == "  0:  50.00%  (1/2)" and text[4] == "  3:    n/a  (0/0)"
    assert text[11] == "confusion matrix (rows: true digit, columns: predicted digit):"


def test_top_k_and_most_confident_first():
    probs = np.array([[0.7, 0.1, 0.2, 0.05],
                      [0.2, 0.6, 0.7, 0.90],
                      [0.1, 0.3, 0.1, 0.05]])
    y = np.array([0, 2, 0, 0])
    classes, p = top_k(probs, 2)
    assert classes.tolist() == [[0, 1, 1, 1], [1, 2, 0, 0]]
    assert p.tolist() == [[0.7, 0.6, 0.7, 0.9], [0.2, 0.3, 0.2, 0.05]]
    assert mistakes(probs, y).tolist() == [3, 2, 1]                 # by the predicted class's p
    assert cell_examples(probs, y, 0, 1).tolist() == [3, 2]
    assert cell_examples(probs, y, 0, 0).tolist() == [0]
    assert cell_examples(probs, y, 2, 0).tolist() == []
