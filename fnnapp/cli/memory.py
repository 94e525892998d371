"""How many bytes training a network takes, known before any of it is allocated.

train.py refuses a network that cannot fit (`--hidden 1000000000` asks for 3 TB of weights)
before fnn.init_params would try to allocate it, instead of swapping the machine to a halt.
"""
import math
import os

from fnn.layers import KINDS, largest_array, parameter_count
from fnn.optimizers import OPTIMIZERS

# Copies of the parameters alive at once during a run, besides the optimizer's moments: the
# current and the updated params, the gradients, and the best params so far (train.py).
PARAM_COPIES = 4
STATE_COPIES = {name: o.state_copies for name, o in OPTIMIZERS.items()}   # moments, old and new
ACTIVATION_COPIES = 4                                   # Z, A, dropout mask and dA a unit


def training_bytes(layers, batch_size, optimizer="adam", itemsize=4):
    """Bytes a training run holds beyond its data, about (an upper estimate):

        P (PARAM_COPIES + STATE_COPIES[optimizer]) itemsize           parameters, grads, moments
      + b (sum of the layer outputs) ACTIVATION_COPIES itemsize        forward cache, backward
      + b largest_array itemsize                                       im2col columns of a conv
    for P = parameter_count(layers) and b = batch_size."""
    P = parameter_count(layers)
    units = sum(_outputs(layers))
    return itemsize * (P * (PARAM_COPIES + STATE_COPIES.get(optimizer, 4))
                       + batch_size * (units * ACTIVATION_COPIES + largest_array(layers)))


def data_bytes(rows, features, itemsize=4):
    """Bytes `rows` examples of `features` numbers take as train.py holds them: X (features,
    rows) of itemsize bytes and the int64 labels y (rows,)."""
    return rows * (features * itemsize + 8)


def available_bytes():
    """Memory this process can take without swapping: MemAvailable of /proc/meminfo, else the
    physical memory, else None when the system tells neither."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def _outputs(layers):
    """Numbers one example puts in each layer's output."""
    shape, sizes = list(layers[0]["shape"]), []
    for spec in layers[1:]:
        shape = list(KINDS[spec["type"]].out_shape(spec, shape))
        sizes.append(math.prod(shape))
    return sizes


def human(n):
    """Bytes as a short text: 3.1 TB, 512 MB."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
