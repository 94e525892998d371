"""fnn.analysis.stats: the per-layer health numbers, against hand computations; and fit observed from
outside (gen.send) without changing its weights."""
import numpy as np
import pytest

import fnn
from fnn import layers as L
from fnn.analysis.stats import dead_fractions, grad_norms, layer_stats, update_ratios
from fnn.training import drive, fit


def _step(params, X, y, net=None, lr=0.1):
    AL, cache = fnn.forward(params, X, net)
    grads = fnn.backward(params, cache, y)
    return cache, grads, fnn.update(params, grads, lr)


def test_grad_norm_and_update_ratio_of_gradient_descent():
    """For W' = W - alpha dW the ratio is alpha ||dW|| / ||W||, the norm sqrt(sum dW^2)."""
    rng = np.random.default_rng(0)
    params = fnn.init_params([6, 5, 3], seed=1, dtype=np.float64)
    X, y = rng.standard_normal((6, 8)), rng.integers(0, 3, 8)
    cache, grads, new = _step(params, X, y, lr=0.1)
    norms, ratios = grad_norms(grads), update_ratios(params, new)
    assert set(norms) == set(ratios) == {"W1", "W2"}
    for k in ("W1", "W2"):
        assert norms[k] == pytest.approx(np.sqrt((grads["d" + k] ** 2).sum()), rel=1e-12)
        assert ratios[k] == pytest.approx(0.1 * norms[k] / np.linalg.norm(params[k]), rel=1e-9)
    assert update_ratios(params, params) == {"W1": 0.0, "W2": 0.0}


def test_dead_fraction_counts_units_off_for_the_whole_batch():
    """Rows of W1 pushed far negative never fire: 2 of 5 dense units dead, 0 before."""
    rng = np.random.default_rng(0)
    params = fnn.init_params([6, 5, 3], seed=1, dtype=np.float64)
    X, y = np.abs(rng.standard_normal((6, 16))), rng.integers(0, 3, 16)
    params["b1"][:] = 10.0                                     # every unit on for every example
    assert dead_fractions(_step(params, X, y)[0])["W1"] == 0.0
    params["b1"][[1, 3]] = -1e3
    cache, grads, new = _step(params, X, y)
    assert dead_fractions(cache) == {"W1": 0.4}                # W2 feeds softmax: left out
    s = layer_stats(params, grads, cache, new)
    assert s["W1"]["dead"] == 0.4 and s["W2"]["dead"] is None
    assert np.all(grads["dW1"][[1, 3]] == 0)                  # why dead units matter


def test_dead_fraction_of_a_conv_counts_channels():
    """A conv channel is dead when it is 0 at every position of every example (also when the
    relu runs after the pool, as fit's pool_before_relu list has it)."""
    net = L.normalize([L.Input(1, 6, 6), L.Conv(4, 3, pad=1), "relu", L.MaxPool(2), L.Flatten(),
                       L.Dense(3), "softmax"])
    params = fnn.init_params(net, seed=0, dtype=np.float64)
    params["b1"][:] = 10.0
    params["b1"][2] = -1e3
    X = np.random.default_rng(1).random((36, 5))
    for layers in (net, L.pool_before_relu(net)):
        _, cache = fnn.forward(params, X, layers)
        assert dead_fractions(cache) == {"W1": 0.25}


def _run(X, y, net, sends=None, **kw):
    """fit driven by gen.send: sends maps an iteration to what is sent after its step."""
    gen = fit(fnn.init_params(net, seed=0), X, y, net, epochs=2, batch_size=50, lr=2e-3,
              dropout=0.2, seed=3, **kw)
    recs = []

    def see(rec):
        recs.append(rec)
        return (sends or {}).get(rec["iteration"]) if rec["kind"] == "step" else None
    drive(gen, see)
    return recs


def test_watching_fit_gives_bit_identical_weights_and_the_rate_changes_replay(mnist_train_slice):
    """Asking for stats every step changes nothing; an lr change sent after step 5 applies from
    step 6 on, is in the records, and passing those lr_changes to a fresh fit repeats the run."""
    X, y = mnist_train_slice[0][:, :300], mnist_train_slice[1][:300]
    net = L.dense_layers([784, 32, 10])
    plain = _run(X, y, net)
    watched = _run(X, y, net, {t: {"stats": True} for t in range(1, 13)})
    last = lambda recs: [r for r in recs if r["kind"] == "step"][-1]["params"]
    for k, v in last(plain).items():
        assert np.array_equal(v, last(watched)[k]), k
    steps = [r for r in watched if r["kind"] == "step"]
    assert "stats" not in steps[0] and set(steps[1]["stats"]) == {"W1", "W2"}
    assert 0 < steps[1]["stats"]["W1"]["update_ratio"] < 1

    changed = _run(X, y, net, {5: {"lr_factor": 2.0}, 9: {"lr_factor": 0.25, "stats": True}})
    lr_p = [r["lr"] for r in plain if r["kind"] == "step"]
    lr_c = [r["lr"] for r in changed if r["kind"] == "step"]
    assert lr_c[:5] == lr_p[:5] and lr_c[5:9] == [2 * a for a in lr_p[5:9]]
    assert lr_c[9:] == [0.5 * a for a in lr_p[9:]]
    assert changed[-1]["lr_changes"] == ((6, 2.0), (10, 0.25))
    replay = _run(X, y, net, lr_changes=changed[-1]["lr_changes"])
    for k, v in last(changed).items():
        assert np.array_equal(v, last(replay)[k]), k
        assert not np.array_equal(v, last(plain)[k]), k


def test_fit_refuses_a_bad_rate_factor(mnist_train_slice):
    X, y = mnist_train_slice[0][:, :100], mnist_train_slice[1][:100]
    net = L.dense_layers([784, 8, 10])
    gen = fit(fnn.init_params(net, seed=0), X, y, net, batch_size=50)
    next(gen)
    with pytest.raises(ValueError, match="lr_factor"):
        gen.send({"lr_factor": 0})
    with pytest.raises(ValueError, match="lr_changes"):
        next(fit(fnn.init_params(net, seed=0), X, y, net, lr_changes=[(3, -1.0)]))
