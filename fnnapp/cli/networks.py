"""The networks train.py trains by name (--arch), and the short name of any layer list, as
every model file's meta records it ("network"):

    describe(network("mlp", [256, 128], "relu"))  ->  "784-256-128-10 relu"
    describe(network("cnn", None, None))          ->  "conv16-relu-pool-conv32-...-dense10"
"""
from fnn import layers as L
from fnn.activations import HIDDEN_ACTIVATIONS
from fnn.io.data import NUM_CLASSES, NUM_PIXELS

# benchmarks/bench.py writes out the same CNN (tests/test_bench.py checks), so it times it.
CNN_LAYERS = [L.Input(1, 28, 28), L.Conv(16, 3, pad=1), "relu", L.MaxPool(2),
              L.Conv(32, 3, pad=1), "relu", L.MaxPool(2), L.Flatten(),
              L.Dense(128), "relu", L.Dense(10), "softmax"]
CNN_WIDE_LAYERS = [L.Input(1, 28, 28), L.Conv(32, 3, pad=1), "relu", L.MaxPool(2),
                   L.Conv(64, 3, pad=1), "relu", L.MaxPool(2), L.Flatten(),
                   L.Dense(128), "relu", L.Dense(10), "softmax"]
NAMED = {"cnn": CNN_LAYERS, "cnn-wide": CNN_WIDE_LAYERS}
ARCHS = ("mlp", *NAMED)          # mlp: dense layers of the given hidden sizes


def network(arch, hidden, activation):
    """The layer list of --arch: a named network (which ignores hidden and activation), or for
    "mlp" dense layers NUM_PIXELS, *hidden, NUM_CLASSES with `activation` between them."""
    if arch in NAMED:
        return L.normalize(NAMED[arch])
    return L.dense_layers([NUM_PIXELS, *hidden, NUM_CLASSES], activation)


def describe(layers):
    """A short name of the network: 784-256-128-10 relu, or conv16-relu-pool-...-dense10."""
    if all(s["type"] in ("input", "dense", "softmax") or s["type"] in HIDDEN_ACTIVATIONS for s in layers):
        sizes = [str(layers[0]["shape"][0])] + [str(s["units"]) for s in layers if s["type"] == "dense"]
        acts = sorted({s["type"] for s in layers[1:-1] if s["type"] != "dense"})
        return "-".join(sizes) + (f" {acts[0]}" if acts else "")
    names = [L.KINDS[s["type"]].name(s) for s in layers[1:-1]]       # each kind names itself
    return "-".join(name for name in names if name)
