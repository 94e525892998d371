"""The PyTorch side of benchmarks/bench.py: the same networks, the same initial weights, a plain loop.

Imported by bench.py only when torch is installed; fnn, train.py, draw.py and the tests never
import torch. `build` turns an fnn layer list into an nn.Sequential and copies fnn's weights in:
fnn's W (n_out, n_in) is nn.Linear's weight, its conv W (F, C, k, k) is nn.Conv2d's, and fnn's
Flatten of (C, H, W, m) orders features c, h, w as nn.Flatten of (m, C, H, W) does.
"""
import numpy as np
import torch
from torch import nn


def build(layers, params):
    """nn.Sequential of the fnn layer list `layers` (Input first, softmax last), with fnn's
    params copied in. It returns the logits Z[L]: the softmax is inside CrossEntropyLoss."""
    specs = [{"type": s} if isinstance(s, str) else s for s in layers]
    if specs[-1]["type"] != "softmax":
        raise ValueError("benchmarks/torch_models.py: only softmax outputs are benchmarked")
    shape = specs[0]["shape"]
    modules = [nn.Unflatten(1, tuple(shape))] if len(shape) == 3 else []   # (m, 784) -> images
    l = 0
    for spec in specs[1:-1]:
        kind = spec["type"]
        if kind in ("dense", "conv"):
            l += 1
            W = params[f"W{l}"]
            modules.append(nn.Linear(W.shape[1], W.shape[0]) if kind == "dense" else
                           nn.Conv2d(W.shape[1], W.shape[0], W.shape[2], stride=spec["stride"],
                                     padding=spec["pad"]))
        elif kind == "maxpool":
            modules.append(nn.MaxPool2d(spec["size"], spec["stride"]))
        elif kind in ("flatten", "relu"):
            modules.append(nn.Flatten() if kind == "flatten" else nn.ReLU())
        else:
            raise ValueError(f"benchmarks/torch_models.py: no PyTorch equivalent for {kind!r}")
    model = nn.Sequential(*modules)
    weighted = [m for m in model if isinstance(m, (nn.Linear, nn.Conv2d))]
    with torch.no_grad():
        for l, m in enumerate(weighted, start=1):
            m.weight.copy_(torch.from_numpy(np.asarray(params[f"W{l}"], dtype=np.float32)))
            m.bias.copy_(torch.from_numpy(np.asarray(params[f"b{l}"], dtype=np.float32).ravel()))
    return model


def as_rows(X):
    """fnn's X (784, m) -> the (m, 784) float32 tensor PyTorch takes: a view of the same memory
    when X.T is C-contiguous (fnn.io.data.load_csv's X is), one copy otherwise."""
    return torch.from_numpy(np.ascontiguousarray(np.asarray(X, dtype=np.float32).T))


def adam(model, lr):
    """torch.optim.Adam with its defaults (betas 0.9, 0.999, eps 1e-8), as fnn's adam_update."""
    return torch.optim.Adam(model.parameters(), lr=lr)


def train_epoch(model, opt, Xt, yt, batches):
    """One epoch of the plain loop over the given mini-batch index arrays; batches are gathered
    by indexing one (m, 784) tensor (a DataLoader would collate sample by sample, slower)."""
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    for idx in batches:
        i = torch.from_numpy(idx)
        opt.zero_grad()
        loss_fn(model(Xt[i]), yt[i]).backward()
        opt.step()


def predict(model, Xt, batch_size=2000):
    """Class labels (m,) as a NumPy array, in batches of batch_size rows."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(Xt[j:j + batch_size]).argmax(dim=1)
                          for j in range(0, Xt.shape[0], batch_size)]).numpy()


def predict_one(model, x):
    """Class probabilities (10,) of one preprocessed digit x (784,) float32."""
    model.eval()
    with torch.no_grad():
        return torch.softmax(model(torch.from_numpy(x).reshape(1, -1)), dim=1)[0].numpy()
