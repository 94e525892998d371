"""fnn: a functional neural-network toolkit in pure NumPy.

Four pure functions on a plain dict of arrays, in the column-major layout of the
derivation (X is (784, m), W1 is (n1, 784), b1 is (n1, 1)):

    params = fnn.init_params([784, 128, 10], seed=0)
    AL, cache = fnn.forward(params, X)
    grads = fnn.backward(params, cache, Y)
    params = fnn.update(params, grads, learning_rate=0.1)

docs/math.md maps every equation to the function that implements it.
"""
from fnn.activations import leaky_relu, relu, sigmoid, softmax, tanh
from fnn.conv import AvgPool
from fnn.layers import Conv, Dense, Flatten, Input, MaxPool
from fnn.losses import binary_cross_entropy, cross_entropy, mse, one_hot
from fnn.analysis.counterfactual import counterfactual
from fnn.io.model_files import ModelFileError, load, save
from fnn.network import (accuracy, backward, compute_loss, forward, init_params, predict,
                         predict_proba, update)
from fnn.optimizers import (OPTIMIZERS, SCHEDULES, adam_init, adam_update, momentum_init,
                            momentum_update, sgd_init, sgd_update)

__version__ = "0.1.0"

__all__ = [
    "init_params", "forward", "backward", "update", "predict", "predict_proba", "accuracy",
    "compute_loss", "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "cross_entropy",
    "binary_cross_entropy", "mse", "one_hot", "Input", "Dense", "Conv", "MaxPool", "AvgPool", "Flatten",
    "save", "load", "ModelFileError", "OPTIMIZERS", "SCHEDULES", "sgd_init", "sgd_update",
    "momentum_init", "momentum_update", "adam_init", "adam_update", "counterfactual",
]
