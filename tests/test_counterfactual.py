"""fnn.counterfactual: held to a plain loop over columns and steps, its gradient to finite
differences, and on real MNIST digits with the shipped MLP."""
from pathlib import Path

import numpy as np
import pytest

import fnn
from fnn.gradcheck import relative_error
from fnn.layers import Conv, Dense, Flatten, Input

ROOT = Path(__file__).resolve().parent.parent
TINY = [Input(1, 5, 5), Conv(2, 3, pad=1), "tanh", Flatten(), Dense(6), "relu", Dense(4), "softmax"]


def tiny(seed=0, m=5):
    rng = np.random.default_rng(seed)
    params = fnn.init_params(TINY, seed=seed, dtype=np.float64)
    return params, rng.random((25, m)), rng.integers(0, 4, m)


def reference(params, X, target, layers, steps, eta, lam, stop):
    """The docstring's algorithm written plainly: one column at a time, one step at a time."""
    out = X.copy()
    for j in range(X.shape[1]):
        x, xk, t = X[:, j:j + 1], X[:, j:j + 1].copy(), target[j]
        for _ in range(steps):
            AL, cache = fnn.forward(params, xk, layers)
            if AL[t, 0] >= stop:
                break
            g = fnn.backward(params, cache, np.array([t]), input_grad=True)["dX"]   # m = 1
            v = xk - eta * g - x
            d = np.sign(v) * np.maximum(np.abs(v) - eta * lam, 0.0)
            xk = x + np.minimum(np.maximum(d, -x), 1.0 - x)
        out[:, j:j + 1] = xk
    return out


def test_equals_the_plain_loop_on_a_tiny_net():
    params, X, t = tiny()
    for steps, eta, lam, stop in ((30, 0.5, 0.01, 0.9), (7, 2.0, 0.05, 0.5)):
        new = fnn.counterfactual(params, X, t, TINY, steps=steps, eta=eta, lam=lam, stop=stop)
        ref = reference(params, X, t, TINY, steps, eta, lam, stop)
        np.testing.assert_allclose(new, ref, rtol=0, atol=1e-12)
        assert not np.array_equal(new, X)
    assert np.array_equal(X, tiny()[1])                               # X untouched


def test_its_gradient_is_that_of_minus_log_p_target():
    """m dX of a batch of m is each column's d(-log p_t)/dx, by central differences (float64)."""
    params, X, t = tiny(1, m=3)
    AL, cache = fnn.forward(params, X, TINY)
    G = fnn.backward(params, cache, t, input_grad=True)["dX"] * X.shape[1]
    h, num = 1e-6, np.zeros_like(X)
    for i in range(X.shape[0]):
        E = np.zeros_like(X)
        E[i] = h
        up, down = fnn.forward(params, X + E, TINY)[0], fnn.forward(params, X - E, TINY)[0]
        cols = np.arange(X.shape[1])
        num[i] = (-np.log(up[t, cols]) + np.log(down[t, cols])) / (2 * h)
    assert relative_error(G, num) < 1e-7


def test_stays_in_the_box_and_stops_at_once_when_already_there():
    params, X, t = tiny(2, m=6)
    X[:, 0] = 0.0
    X[:, 1] = 1.0
    new = fnn.counterfactual(params, X, t, TINY, steps=50, eta=5.0, lam=0.0)
    assert new.min() >= 0.0 and new.max() <= 1.0
    p = fnn.predict_proba(params, X, TINY)
    t_own = p.argmax(axis=0)
    same = fnn.counterfactual(params, X, t_own, TINY, stop=0.0)          # p >= 0: nothing to do
    assert np.array_equal(same, X)


def test_turns_most_mnist_digits_into_another_with_a_small_change(mnist_test_slice):
    params, layers, _ = fnn.load(ROOT / "data" / "mnist_mlp.npz")
    X, y = mnist_test_slice[0][:, :100], mnist_test_slice[1][:100]
    t = (y + 1 + np.random.default_rng(0).integers(0, 9, y.size)) % 10     # any other digit
    new = fnn.counterfactual(params, X, t, layers)
    p = fnn.predict_proba(params, new, layers)[t, np.arange(t.size)]
    assert np.mean(p >= 0.5) >= 0.85
    change = np.abs(new - X).sum(axis=0) / X.sum(axis=0)     # L1 of the change / the digit's ink
    assert np.median(change) < 0.4
    assert new.min() >= 0.0 and new.max() <= 1.0


@pytest.mark.parametrize("bad", [np.array([10]), np.array([-1])])
def test_a_target_outside_the_classes_is_refused(bad):
    params, X, _ = tiny(m=1)
    with pytest.raises(ValueError, match="target"):
        fnn.counterfactual(params, X, bad, TINY)


def test_W_then_a_digit_shows_what_would_make_it_that_digit():
    """In the pad (real events): a 1, then W 7: the new input is read as a 7 with p >= 0.5,
    it stays in [0, 1], and the panel draws it; the next stroke clears it."""
    import pygame
    from test_draw import drag, key, run_app
    one = [(14.5, 5.5), (14.5, 12.5), (14.5, 22.5)]
    script = {1: drag(one), 2: [key(pygame.K_w)], 3: [key(pygame.K_7)],
              4: drag([(8.5, 5.5), (13.5, 5.5)]), 5: [key(pygame.K_ESCAPE)]}
    code, states = run_app(["--model", str(ROOT / "data" / "mnist_mlp.npz")], script)
    assert code == 0
    assert states[3]["pending"] == "whatif" and states[3]["whatif"] is None
    w = states[4]["whatif"]
    assert w["target"] == 7 and w["before"] < 0.1 and w["after"] >= 0.5 and 0 < w["changed"] < 200
    assert w["new"].min() >= 0 and w["new"].max() <= 1 and states[4]["label"] is None   # not a teaching
    assert states[4]["aside"] == "whatif" and states[5]["whatif"] is None
