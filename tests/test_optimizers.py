"""Optimizers and learning-rate schedules: each update rule against its plain equation, the
state passed in and out untouched, subnormals flushed, and the entry the command lines read."""
import numpy as np
import pytest

from fnn import optimizers as opt


@pytest.mark.parametrize("name", opt.OPTIMIZERS)
def test_an_update_leaves_params_grads_and_state_untouched(name):
    rng = np.random.default_rng(0)
    p = {"W1": rng.standard_normal((4, 3)), "b1": rng.standard_normal((4, 1))}
    g = {"d" + k: rng.standard_normal(v.shape) for k, v in p.items()}
    o = opt.OPTIMIZERS[name]
    _, state = o.update(p, g, o.init(p), 0.01)             # a state past its zeros
    snap = lambda d: {k: (snap(v) if isinstance(v, dict) else np.copy(v)) for k, v in d.items()}  # noqa: E731
    before = [snap(d) for d in (p, g, state)]
    new, _ = o.update(p, g, state, 0.01)
    same = lambda a, b: all(same(a[k], b[k]) if isinstance(a[k], dict) else np.array_equal(a[k], b[k])  # noqa: E731
                            for k in a)
    assert all(same(d, b) for d, b in zip((p, g, state), before))
    assert not np.array_equal(new["W1"], p["W1"])


@pytest.mark.parametrize("name", opt.OPTIMIZERS)
def test_every_optimizer_entry_says_its_rate_and_state(name):
    """What train.py's --lr default (fnnapp.cli.progress) and memory check (fnnapp.cli.memory)
    read: a rate > 0 and as many copies of the params as the state really holds (old and new)."""
    from fnnapp.cli import memory, progress
    o = opt.OPTIMIZERS[name]
    p = {"W1": np.ones((4, 3)), "b1": np.ones((4, 1))}
    held = sum(v.size for v in o.init(p).get("m", {}).values()) + \
        sum(v.size for v in o.init(p).get("v", {}).values())
    assert o.lr > 0 and o.state_copies == 2 * held // 16
    assert progress.GOOD_LR[name] == o.lr and memory.STATE_COPIES[name] == o.state_copies


def test_rmsprop_matches_its_equation():
    """v := rho v + (1 - rho) g^2, theta := theta - alpha g / (sqrt(v) + eps), step by step in
    float64, written here from docs/math.md."""
    rng = np.random.default_rng(1)
    p = {"W1": rng.standard_normal((3, 4)), "b1": rng.standard_normal((3, 1))}
    state, ref, v = opt.rmsprop_init(p), dict(p), {k: 0.0 for k in p}
    for t in range(1, 10):
        g = {"d" + k: rng.standard_normal(x.shape) for k, x in p.items()}
        p, state = opt.rmsprop_update(p, g, state, 0.01, rho=0.8)
        for k in ref:
            v[k] = 0.8 * v[k] + 0.2 * g["d" + k] ** 2
            ref[k] = ref[k] - 0.01 * g["d" + k] / (np.sqrt(v[k]) + 1e-8)
    for k in p:
        np.testing.assert_allclose(p[k], ref[k], rtol=1e-12)
        np.testing.assert_allclose(state["v"][k], v[k], rtol=1e-12)
    assert state["t"] == 9


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_adam_matches_the_textbook_formula(dtype, rtol):
    """adam_update's in-place passes against the plain form of its docstring, step by step."""
    rng = np.random.default_rng(0)
    p = {"W1": rng.standard_normal((3, 4)).astype(dtype), "b1": rng.standard_normal((3, 1)).astype(dtype)}
    state, ref, m, v = opt.adam_init(p), dict(p), {k: 0.0 for k in p}, {k: 0.0 for k in p}
    for t in range(1, 8):
        g = {"d" + k: rng.standard_normal(x.shape).astype(dtype) for k, x in p.items()}
        p, state = opt.adam_update(p, g, state, 0.01)
        for k in ref:
            m[k] = 0.9 * m[k] + 0.1 * g["d" + k]
            v[k] = 0.999 * v[k] + 0.001 * g["d" + k] ** 2
            ref[k] = ref[k] - 0.01 * (m[k] / (1 - 0.9 ** t)) / (np.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8)
    for k in p:
        assert p[k].dtype == dtype
        np.testing.assert_allclose(p[k], ref[k], rtol=rtol, atol=rtol * 1e-2)
    assert state["t"] == 7


def test_momentum_matches_its_formula():
    p = {"W1": np.array([[1.0]]), "b1": np.array([[0.0]])}
    state = opt.momentum_init(p)
    g = {"dW1": np.array([[1.0]]), "db1": np.array([[2.0]])}
    p, state = opt.momentum_update(p, g, state, 0.5, beta=0.9)
    p, state = opt.momentum_update(p, g, state, 0.5, beta=0.9)
    # v1 = 0.1 g, v2 = 0.9*0.1 g + 0.1 g = 0.19 g ; W = 1 - 0.5 (0.1 + 0.19)
    np.testing.assert_allclose(p["W1"], [[1 - 0.5 * 0.29]])
    np.testing.assert_allclose(state["v"]["b1"], [[0.38]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_flush_subnormals_zeroes_exactly_the_subnormals(dtype):
    tiny = np.finfo(dtype).tiny
    smallest = np.nextafter(dtype(0), dtype(1))
    a = np.array([0.0, -0.0, tiny / 2, -tiny / 4, smallest, -smallest, tiny, -tiny, 1e-30, 1.0, -2.0],
                 dtype=dtype)
    assert opt.flush_subnormals(a) is a
    np.testing.assert_array_equal(a, np.array([0, 0, 0, 0, 0, 0, tiny, -tiny, 1e-30, 1, -2], dtype))


@pytest.mark.parametrize("name, key", [("adam", "m"), ("momentum", "v"), ("rmsprop", "v")])
def test_optimizer_state_does_not_keep_stuck_subnormals(name, key, monkeypatch):
    """W1[0, 0] gets a gradient for 3 steps, then 0 for good, like a weight of a blank pixel or
    a dead unit; W1[0, 1] always gets one. Unflushed, the state of W1[0, 0] decays into the
    subnormal range and sticks there (rounding); flushed every FLUSH_EVERY steps it is 0, and
    the params are the same bit for bit."""
    init, update, *_ = opt.OPTIMIZERS[name]
    p0 = {"W1": np.array([[0.5, -0.25]], np.float32), "b1": np.zeros((1, 1), np.float32)}
    steps = 75 * opt.FLUSH_EVERY                         # 1,200, ends on a flush

    def run():
        p, s = p0, init(p0)
        for t in range(steps):
            g = np.array([[1e-3 if t < 3 else 0.0, (-1) ** t * 1e-3]], np.float32)
            p, s = update(p, {"dW1": g, "db1": np.full((1, 1), 1e-3, np.float32)}, s, 1e-3)
        return p, s
    p_flushed, s_flushed = run()
    monkeypatch.setattr(opt, "FLUSH_EVERY", 1 << 62)
    p_kept, s_kept = run()
    tiny = np.finfo(np.float32).tiny
    stuck = s_kept[key]["W1"][0, 0]
    assert stuck != 0 and abs(stuck) < tiny                 # what the flush is for
    assert s_flushed[key]["W1"][0, 0] == 0
    assert abs(s_flushed[key]["W1"][0, 1]) > tiny           # a live entry is kept
    for k in p0:
        np.testing.assert_array_equal(p_flushed[k], p_kept[k])


def test_schedules():
    assert opt.inverse_time_decay(0.1, 10, decay=0.1) == pytest.approx(0.05)
    assert opt.step_decay(0.1, 25, drop=0.5, every=10) == pytest.approx(0.025)
    assert opt.cosine_decay(0.1, 0, total=100) == pytest.approx(0.1)
    assert opt.cosine_decay(0.1, 50, total=100) == pytest.approx(0.05)
    assert opt.cosine_decay(0.1, 100, total=100) == pytest.approx(0.0)
    assert opt.constant(0.1, 999) == 0.1
