"""The PyTorch side of benchmarks/bench.py: the same networks, the same initial weights, a plain loop.

Imported by bench.py only when torch is installed. fnn itself, train.py, draw.py and the tests
never import torch, and torch is not in requirements.txt.

Fairness, as bench.py promises it:
- `build(layers, params)` turns an fnn layer list into an nn.Sequential of the same layers and
  copies fnn's initial weights into it. fnn's W (n_out, n_in) is nn.Linear's weight, fnn's conv W
  (F, C, k, k) is nn.Conv2d's, and fnn's Flatten of (C, H, W, m) orders features c, h, w like
  nn.Flatten of (m, C, H, W), so the two networks start from the same point.
- `train_epoch` is the standard loop: model.train(), zero_grad, forward, CrossEntropyLoss on
  the logits (the softmax is inside the loss, as every PyTorch tutorial writes it), backward,
  step. Batches are gathered by indexing one (m, 784) float32 tensor, which is the fast way
  (a DataLoader over a TensorDataset would collate sample by sample and be slower).
- The caller passes the mini-batch index arrays, made inside the timed epoch by the same
  fnn.training.minibatches on the same seed stream as fnn's fit, so both sides see the same
  batches in the same order and both pay for their own shuffling.
"""
import numpy as np
import torch
from torch import nn

from fnn import layers as L


def build(layers, params):
    """nn.Sequential equivalent of the fnn network `layers` (a layer list or dense sizes), with
    fnn's `params` copied in. The output softmax is left out: the model returns logits Z[L]."""
    net = L.as_layers(layers, params)
    shapes = L.param_shapes(net)
    modules, l = [], 0
    shape = net[0]["shape"]
    if len(shape) == 3:
        modules.append(nn.Unflatten(1, tuple(shape)))          # (m, 784) -> (m, 1, 28, 28)
    for spec in net[1:-1]:
        kind = spec["type"]
        if kind == "dense":
            l += 1
            n_out, n_in = shapes[f"W{l}"]
            modules.append(nn.Linear(n_in, n_out))
        elif kind == "conv":
            l += 1
            F, C, k, _ = shapes[f"W{l}"]
            modules.append(nn.Conv2d(C, F, k, stride=spec["stride"], padding=spec["pad"]))
        elif kind == "maxpool":
            modules.append(nn.MaxPool2d(spec["size"], spec["stride"]))
        elif kind == "flatten":
            modules.append(nn.Flatten())
        elif kind == "relu":
            modules.append(nn.ReLU())
        else:
            raise ValueError(f"benchmarks/torch_models.py: no PyTorch equivalent wired up for {kind!r}")
    if net[-1]["type"] != "softmax":
        raise ValueError("benchmarks/torch_models.py: only softmax outputs are benchmarked")
    model = nn.Sequential(*modules)
    weighted = [m for m in model if isinstance(m, (nn.Linear, nn.Conv2d))]
    with torch.no_grad():
        for l, m in enumerate(weighted, start=1):
            m.weight.copy_(torch.from_numpy(np.asarray(params[f"W{l}"], dtype=np.float32)))
            m.bias.copy_(torch.from_numpy(np.asarray(params[f"b{l}"], dtype=np.float32).ravel()))
    return model


def as_rows(X):
    """fnn's X (784, m) -> the (m, 784) float32 tensor PyTorch models take: a view of the same
    memory when X.T is C-contiguous (fnn.data.load_csv's X is), one copy otherwise."""
    return torch.from_numpy(np.ascontiguousarray(np.asarray(X, dtype=np.float32).T))


def adam(model, lr):
    """torch.optim.Adam with its defaults (betas 0.9, 0.999, eps 1e-8), as fnn's adam_update."""
    return torch.optim.Adam(model.parameters(), lr=lr)


def train_epoch(model, opt, Xt, yt, batches):
    """One epoch of the plain loop over the given mini-batch index arrays."""
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    for idx in batches:
        i = torch.from_numpy(idx)
        xb, yb = Xt[i], yt[i]
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()


def full_batch_gd(model, Xt, yt, lr, iterations):
    """The classic loop: plain gradient descent on the whole training set at once."""
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(iterations):
        opt.zero_grad()
        loss = loss_fn(model(Xt), yt)
        loss.backward()
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


def info():
    """Version and threads, for the benchmark's machine section."""
    return {"version": torch.__version__, "threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(),
            "mkldnn": bool(torch.backends.mkldnn.is_available()),
            "capability": torch.backends.cpu.get_cpu_capability()}
