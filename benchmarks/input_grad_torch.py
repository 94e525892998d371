#!/usr/bin/env python3
"""fnn's gradient with respect to the input against PyTorch autograd, on the shipped models.

    python benchmarks/input_grad_torch.py            # needs torch: pip install torch==2.13.0

For data/mnist_mlp.npz and data/mnist_cnn.npz, in float64, on the first 64 MNIST test digits:
  dX    = backward(params, cache, y, input_grad=True)["dX"]   vs  x.grad of CrossEntropyLoss (mean)
  G     = fnn.analysis.explain.log_prob_gradient for one digit          vs  x.grad of log_softmax[c]
Prints the relative error ||a - b|| / (||a|| + ||b||) of each, for the digits and for the digits
plus 1e-3 of noise (which breaks max-pooling's ties; see main).
torch is imported here only (benchmarks/torch_models.build makes the same network with the
same weights); fnn, train.py, draw.py and the tests never import it.
"""
import os
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import fnn                                          # noqa: E402
from fnn.io.data import load_csv                       # noqa: E402
from fnn.analysis.explain import log_prob_gradient           # noqa: E402
from fnn.gradcheck import relative_error            # noqa: E402
from torch_models import build                      # noqa: E402  (benchmarks/torch_models.py)


def torch_input_grads(model, X, y, j):
    """(dJ/dX (n0, m) for the mean cross-entropy, d log p_c / dx_j (n0,) for c = argmax)."""
    x = torch.tensor(np.ascontiguousarray(X.T), dtype=torch.float64, requires_grad=True)
    torch.nn.functional.cross_entropy(model(x), torch.tensor(y)).backward()
    dX = x.grad.numpy().T
    xj = torch.tensor(X[:, j][None, :], dtype=torch.float64, requires_grad=True)
    logits = model(xj)
    torch.log_softmax(logits, dim=1)[0, int(logits.argmax())].backward()
    return dX, xj.grad.numpy()[0]


def main():
    torch.set_default_dtype(torch.float64)
    X, y = load_csv(os.path.join(ROOT, "data", "mnist_test.csv.gz"), max_rows=64)
    X = X.astype(np.float64)
    # The digits as they are, and with 1e-3 of uniform noise: a blank background gives a conv
    # the same value (its bias) over whole windows, so max-pooling has tied maxima there. Both
    # fnn and PyTorch send a tied window's gradient to its first maximum (docs/math.md, section
    # 7), so they agree on the raw digits too; the noisy copy checks the case without ties.
    noisy = X + 1e-3 * np.random.default_rng(0).random(X.shape)
    for name in ("mnist_mlp", "mnist_cnn"):
        params, layers, _ = fnn.load(os.path.join(ROOT, "data", f"{name}.npz"))
        params = {k: v.astype(np.float64) for k, v in params.items()}
        model = build(layers, params).double()
        for what, Xs in (("digits", X), ("digits + noise", noisy)):
            _, cache = fnn.forward(params, Xs, layers)
            dX = fnn.backward(params, cache, y, input_grad=True)["dX"]
            _, G = log_prob_gradient(params, Xs[:, 0], layers)
            t_dX, t_G = torch_input_grads(model, Xs, y, 0)
            print(f"{name}, {what}: dX of the mean loss over {y.size} digits: relative error "
                  f"{relative_error(dX, t_dX):.1e};  d log p_c / dx of digit 0: "
                  f"{relative_error(G, t_G):.1e}")
    print(f"torch {torch.__version__}, numpy {np.__version__}, float64")
    return 0


if __name__ == "__main__":
    sys.exit(main())
