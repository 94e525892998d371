"""Conv and MaxPool layers: against their definitions (plain loops, written here), against
finite differences (layer inputs and a whole CNN's parameters), shapes, exact error
messages, model files, and a small CNN on an MNIST slice."""
import itertools

import numpy as np
import pytest

import fnn
from fnn import conv, optimizers as opt
from fnn.gradcheck import check_gradients, relative_error
from fnn.layers import (Conv, Dense, Flatten, Input, MaxPool, largest_array, param_shapes,
                        pool_before_relu)

TOL = 1e-6
CONV_CASES = [(1, 1, 0), (3, 1, 0), (3, 1, 1), (3, 2, 1), (5, 2, 2), (4, 3, 0), (2, 2, 1)]   # (k, s, p)
POOL_CASES = [(2, 2), (3, 3), (3, 2), (3, 1), (2, 3)]                                                # (k, s)


def conv_spec(F, k, s, p):
    return Conv(F, k, stride=s, pad=p)


def conv_by_definition(A, W, b, s, p):
    """Z[f, i, j, n] = sum_{c,u,v} W[f, c, u, v] P[c, s*i + u, s*j + v, n] + b[f], with loops."""
    C, H, Wd, m = A.shape
    F, _, k, _ = W.shape
    P = np.zeros((C, H + 2 * p, Wd + 2 * p, m))
    P[:, p:p + H, p:p + Wd] = A
    Ho, Wo = (H + 2 * p - k) // s + 1, (Wd + 2 * p - k) // s + 1
    Z = np.zeros((F, Ho, Wo, m))
    for f, i, j, n in itertools.product(range(F), range(Ho), range(Wo), range(m)):
        Z[f, i, j, n] = np.sum(W[f] * P[:, s * i:s * i + k, s * j:s * j + k, n]) + b[f, 0]
    return Z


def pool_by_definition(A, k, s, reduce=np.max):
    """out[c, i, j, n] = reduce of the window A[c, s*i : s*i + k, s*j : s*j + k, n], with loops."""
    C, H, W, m = A.shape
    Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
    out = np.zeros((C, Ho, Wo, m))
    for c, i, j, n in itertools.product(range(C), range(Ho), range(Wo), range(m)):
        out[c, i, j, n] = reduce(A[c, s * i:s * i + k, s * j:s * j + k, n])
    return out


def input_gradient_by_finite_differences(f, A, G, eps=1e-6):
    """d/dA of sum(f(A) * G), entry by entry: the dA a layer's backward must return for dout = G."""
    g = np.zeros_like(A)
    for idx in np.ndindex(A.shape):
        plus, minus = A.copy(), A.copy()
        plus[idx] += eps
        minus[idx] -= eps
        g[idx] = (np.sum(f(plus) * G) - np.sum(f(minus) * G)) / (2 * eps)
    return g


# ---- convolution against its definition ---------------------------------------------------

@pytest.mark.parametrize("C", [1, 3])
@pytest.mark.parametrize("k,s,p", CONV_CASES)
def test_conv_forward_matches_the_definition(k, s, p, C):
    rng = np.random.default_rng(k * 100 + s * 10 + p + 1000 * C)
    A, W, b = rng.standard_normal((C, 7, 6, 3)), rng.standard_normal((4, C, k, k)), rng.standard_normal((4, 1))
    spec = conv_spec(4, k, s, p)
    Z, _ = conv.conv_forward(spec, (W, b), A)
    assert list(Z.shape[:3]) == conv.conv_out_shape(spec, [C, 7, 6])
    np.testing.assert_allclose(Z, conv_by_definition(A, W, b, s, p), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("C", [1, 3])
@pytest.mark.parametrize("k,s,p", CONV_CASES)
def test_conv_backward_matches_finite_differences(k, s, p, C):
    """dA against finite differences of the layer; dW, db against the parameters' finite differences.
    Strides 1, 2 and 3, padding 0, 1 and 2, overlapping and non-overlapping windows, 1 and 3 channels."""
    rng = np.random.default_rng(k * 100 + s * 10 + p + 1000 * C + 1)
    A, W, b = rng.standard_normal((C, 6, 5, 2)), rng.standard_normal((3, C, k, k)), rng.standard_normal((3, 1))
    spec = conv_spec(3, k, s, p)
    Z, cache = conv.conv_forward(spec, (W, b), A)
    G = rng.standard_normal(Z.shape)
    dA, (dW, db) = conv.conv_backward(spec, (W, b), G, cache)
    m = A.shape[-1]
    fd_A = input_gradient_by_finite_differences(lambda a: conv.conv_forward(spec, (W, b), a)[0], A, G)
    fd_W = input_gradient_by_finite_differences(lambda w: conv.conv_forward(spec, (w, b), A)[0], W, G)
    fd_b = input_gradient_by_finite_differences(lambda c: conv.conv_forward(spec, (W, c), A)[0], b, G)
    assert dA.shape == A.shape and dW.shape == W.shape and db.shape == b.shape
    assert relative_error(dA, fd_A) < TOL
    assert relative_error(dW * m, fd_W) < TOL     # backward averages dW, db over the m examples
    assert relative_error(db * m, fd_b) < TOL


@pytest.mark.parametrize("k,s", [(3, 1), (3, 2), (2, 2), (2, 3), (1, 1)])
def test_col2im_is_the_adjoint_of_im2col(k, s):
    """<im2col(P), Y> = <P, col2im(Y)> for every P and Y: col2im is im2col's transpose, which is
    what the chain rule asks of the backward pass. Overlapping (s < k), tiling, and gapped windows."""
    rng = np.random.default_rng(10 * k + s)
    P = rng.standard_normal((2, 7, 8, 3))
    cols, (Ho, Wo) = conv.im2col(P, k, s)
    Y = rng.standard_normal(cols.shape)
    dP = conv.col2im(Y.reshape(2, k, k, Ho, Wo, 3), s, 7, 8)    # rows (c, u, v) unfolded
    assert dP.shape == P.shape
    assert np.sum(cols * Y) == pytest.approx(np.sum(P * dP), rel=1e-12)


def test_conv_backward_skips_dA_when_not_needed():
    rng = np.random.default_rng(0)
    A, W, b = rng.standard_normal((1, 5, 5, 2)), rng.standard_normal((2, 1, 3, 3)), np.zeros((2, 1))
    spec = Conv(2, 3)
    Z, cache = conv.conv_forward(spec, (W, b), A)
    dA, (dW, db) = conv.conv_backward(spec, (W, b), np.ones_like(Z), cache, need_din=False)
    _, (dW2, db2) = conv.conv_backward(spec, (W, b), np.ones_like(Z), cache, need_din=True)
    assert dA is None
    np.testing.assert_array_equal(dW, dW2)
    np.testing.assert_array_equal(db, db2)


def test_conv_keeps_float32_and_does_not_modify_its_inputs():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((3, 8, 8, 4)).astype(np.float32)
    W = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal((5, 1)).astype(np.float32)
    A0, W0, b0 = A.copy(), W.copy(), b.copy()
    spec = Conv(5, 3, stride=2, pad=1)
    Z, cache = conv.conv_forward(spec, (W, b), A)
    G = np.ones_like(Z)
    dA, (dW, db) = conv.conv_backward(spec, (W, b), G, cache)
    assert Z.dtype == dA.dtype == dW.dtype == db.dtype == np.float32
    assert np.array_equal(A, A0) and np.array_equal(W, W0) and np.array_equal(b, b0)
    assert np.all(G == 1)


# ---- max-pooling --------------------------------------------------------------------------

@pytest.mark.parametrize("k,s", POOL_CASES)
def test_maxpool_forward_matches_the_definition(k, s):
    A = np.random.default_rng(k * 10 + s).standard_normal((3, 7, 6, 2))
    spec = MaxPool(k, s)
    out, _ = conv.maxpool_forward(spec, None, A)
    assert list(out.shape[:3]) == conv.pool_out_shape(spec, [3, 7, 6])
    np.testing.assert_array_equal(out, pool_by_definition(A, k, s))


@pytest.mark.parametrize("shape", [(2, 6, 7, 2), (3, 6, 6, 2)])
@pytest.mark.parametrize("k,s", POOL_CASES)
def test_maxpool_backward_matches_finite_differences(k, s, shape):
    """Distinct random values, so no max is tied and the gradient exists; overlapping
    windows (stride < size) make the gradients of shared maxima add up. (3, 6, 6) with
    size = stride = 2 or 3 is tiled exactly by the windows (dA is written in place);
    (2, 6, 7) leaves a column or a row in no window (col2im)."""
    rng = np.random.default_rng(k * 10 + s + shape[0])
    A = rng.standard_normal(shape)
    spec = MaxPool(k, s)
    out, cache = conv.maxpool_forward(spec, None, A)
    G = rng.standard_normal(out.shape)
    dA, grads = conv.maxpool_backward(spec, None, G, cache)
    fd = input_gradient_by_finite_differences(lambda a: conv.maxpool_forward(spec, None, a)[0], A, G)
    assert grads is None and dA.shape == A.shape
    assert relative_error(dA, fd) < TOL


@pytest.mark.parametrize("shape", [(2, 6, 7, 2), (3, 6, 6, 2)])
@pytest.mark.parametrize("k,s", POOL_CASES)
def test_avgpool_matches_its_definition_and_finite_differences(k, s, shape):
    """Average pooling: forward against the loops of its definition, backward (each entry a
    1/k^2 share of every window it is in) against finite differences, float64."""
    rng = np.random.default_rng(k * 10 + s + shape[0])
    A = rng.standard_normal(shape)
    spec = fnn.AvgPool(k, s)
    out, cache = conv.avgpool_forward(spec, None, A)
    assert list(out.shape[:3]) == conv.pool_out_shape(spec, list(shape[:3]))
    np.testing.assert_allclose(out, pool_by_definition(A, k, s, np.mean), rtol=1e-12)
    G = rng.standard_normal(out.shape)
    dA, grads = conv.avgpool_backward(spec, None, G, cache)
    fd = input_gradient_by_finite_differences(lambda a: conv.avgpool_forward(spec, None, a)[0], A, G)
    assert grads is None and dA.shape == A.shape
    assert relative_error(dA, fd) < TOL


def test_a_cnn_with_avgpool_trains_saves_and_loads(tmp_path):
    """AvgPool in a layer list: the whole network's gradients against finite differences
    (float64), a float32 forward, and a model file that gives back the same predictions."""
    net = [Input(1, 8, 8), Conv(3, 3, pad=1), "relu", fnn.AvgPool(2), Flatten(), Dense(4), "softmax"]
    rng = np.random.default_rng(4)
    params = fnn.init_params(net, seed=1, dtype=np.float64)
    X, y = rng.standard_normal((64, 5)), rng.integers(0, 4, 5)
    err, per_key = check_gradients(params, X, y, net, l2=0.2)
    assert err < TOL, per_key
    params = fnn.init_params(net, seed=1)
    X32 = X.astype(np.float32)
    path = fnn.save(tmp_path / "avg.npz", params, net)
    params2, net2, _ = fnn.load(path)
    assert net2 == fnn.layers.as_layers(net) and net2[3] == {"type": "avgpool", "size": 2, "stride": 2}
    np.testing.assert_array_equal(fnn.predict_proba(params2, X32, net2), fnn.predict_proba(params, X32, net))


def test_maxpool_routes_each_gradient_to_its_winner():
    A = np.array([[1., 2., 0.],
                  [3., 9., 4.],
                  [5., 5., 5.]]).reshape(1, 3, 3, 1)
    out, cache = conv.maxpool_forward(MaxPool(2, 1), None, A)
    assert out[0, :, :, 0].tolist() == [[9., 9.], [9., 9.]]
    dout = np.array([[1., 10.], [100., 1000.]]).reshape(1, 2, 2, 1)
    dA, _ = conv.maxpool_backward(MaxPool(2, 1), None, dout, cache)
    expected = np.zeros((3, 3))
    expected[1, 1] = 1111.0                 # all four overlapping windows share the max 9
    np.testing.assert_array_equal(dA[0, :, :, 0], expected)
    # a tie sends the whole gradient to the first maximum in the order (0, 0), (0, 1), ...
    T = np.array([[1., 5.], [5., 5.]]).reshape(1, 2, 2, 1)
    _, cache = conv.maxpool_forward(MaxPool(2), None, T)
    dT, _ = conv.maxpool_backward(MaxPool(2), None, np.full((1, 1, 1, 1), 3.0), cache)
    assert dT[0, :, :, 0].tolist() == [[0., 3.], [0., 0.]]


@pytest.mark.parametrize("k,s", [(2, 2), (3, 3), (3, 2)])
def test_maxpool_tied_maxima_get_the_first_maxs_subgradient(k, s):
    """At a tie the max has no derivative, only one-sided ones: raising one tied entry by eps
    raises the output by eps, lowering it changes nothing (another tied entry still holds the
    max). The first maximum's gradient is the forward difference of the first tied entry and
    the backward difference (0) of the others. Moving all t tied entries together by eps moves
    the output by eps, so the gradients must sum to that finite difference, for t = 2, 3, 4
    (example n has a t = n + 2 way tie in its first window; with s < k the tied entries also
    sit in neighbouring windows, which add up)."""
    rng = np.random.default_rng(7 * k + s)
    A = rng.standard_normal((1, 7, 7, 3))
    spec = MaxPool(k, s)
    offsets = [(u, v) for u in range(k) for v in range(k)]
    ties = {n: offsets[1:n + 3] for n in range(3)}   # not at (0, 0): the first tie is not offset 0
    top = A.max() + 1.0
    for n, tied in ties.items():
        for u, v in tied:
            A[0, u, v, n] = top                      # the same value, above everything else
    f = lambda a: np.sum(conv.maxpool_forward(spec, None, a)[0] * G)
    out, cache = conv.maxpool_forward(spec, None, A)
    G = rng.standard_normal(out.shape)
    dA, _ = conv.maxpool_backward(spec, None, G, cache)
    eps = 1e-6
    for n, tied in ties.items():
        move = np.zeros_like(A)
        for u, v in tied:
            move[0, u, v, n] = 1.0
        both_ways = (f(A + eps * move) - f(A - eps * move)) / (2 * eps)
        assert sum(dA[0, u, v, n] for u, v in tied) == pytest.approx(both_ways, rel=1e-6)
        if s >= k:                                   # only window (0, 0) holds them
            for i, (u, v) in enumerate(tied):
                e = np.zeros_like(A)
                e[0, u, v, n] = eps
                one_sided = (f(A + e) - f(A)) / eps if i == 0 else (f(A) - f(A - e)) / eps
                assert dA[0, u, v, n] == pytest.approx(one_sided, rel=1e-6, abs=1e-9)
            assert dA[0, tied[0][0], tied[0][1], n] == G[0, 0, 0, n]


def test_maxpool_drops_a_last_partial_window_and_keeps_dtype():
    A = np.arange(2 * 5 * 5 * 3, dtype=np.float32).reshape(2, 5, 5, 3)
    out, cache = conv.maxpool_forward(MaxPool(2), None, A)
    assert out.shape == (2, 2, 2, 3) and out.dtype == np.float32
    dA, _ = conv.maxpool_backward(MaxPool(2), None, np.ones_like(out), cache)
    assert dA.dtype == np.float32 and dA.sum() == out.size
    assert not dA[:, 4, :].any() and not dA[:, :, 4].any()     # row/column 4 is in no window


def test_flatten_backward_matches_finite_differences():
    """Flatten orders features (c, h, w), examples last, and its backward is its exact inverse."""
    from fnn.layers import flatten_backward, flatten_forward
    rng = np.random.default_rng(5)
    A = rng.standard_normal((3, 4, 5, 2))
    out, cache = flatten_forward(Flatten(), None, A)
    assert out.shape == (60, 2) and out[1 * 20 + 2 * 5 + 3, 1] == A[1, 2, 3, 1]
    G = rng.standard_normal(out.shape)
    dA, grads = flatten_backward(Flatten(), None, G, cache)
    fd = input_gradient_by_finite_differences(lambda a: flatten_forward(Flatten(), None, a)[0], A, G)
    assert grads is None and relative_error(dA, fd) < TOL


# ---- whole networks -----------------------------------------------------------------------

CNN = [Input(2, 8, 7), Conv(3, 3, stride=1, pad=1), "tanh", MaxPool(3, 2),
       Conv(4, 2, stride=2, pad=1), "relu", Flatten(), Dense(5), "softmax"]


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_cnn_backward_matches_finite_differences(loss):
    """Two convolutions (so conv's dA feeds dW1) around an overlapping max-pool, float64."""
    rng = np.random.default_rng(3)
    params = fnn.init_params(CNN, seed=1, dtype=np.float64)
    params = {k: (rng.standard_normal(v.shape) * 0.3 if k.startswith("b") else v) for k, v in params.items()}
    X = rng.standard_normal((2 * 8 * 7, 4))
    y = rng.integers(0, 5, 4)
    err, per_key = check_gradients(params, X, y, CNN, loss=loss, l2=0.3)
    assert err < TOL, per_key


def test_cnn_param_and_output_shapes():
    net = [Input(1, 28, 28), Conv(16, 3, pad=1), "relu", MaxPool(2), Conv(32, 5, stride=2), "relu",
           MaxPool(2), Flatten(), Dense(10), "softmax"]
    # 28 -> conv3 pad1 -> 28 -> pool2 -> 14 -> conv5 stride2 -> 5 -> pool2 -> 2 (a last row dropped)
    assert param_shapes(fnn.layers.as_layers(net)) == {
        "W1": (16, 1, 3, 3), "b1": (16, 1), "W2": (32, 16, 5, 5), "b2": (32, 1),
        "W3": (10, 32 * 2 * 2), "b3": (10, 1)}
    params = fnn.init_params(net, seed=0)
    assert np.var(params["W2"]) == pytest.approx(2 / (16 * 5 * 5), rel=0.05)   # He, fan_in = C*k*k
    X = np.random.default_rng(0).random((784, 3), dtype=np.float32)
    AL, cache = fnn.forward(params, X, net)
    assert AL.shape == (10, 3) and AL.dtype == np.float32
    grads = fnn.backward(params, cache, [1, 2, 3])
    assert {k: v.shape for k, v in grads.items()} == {"d" + k: v.shape for k, v in params.items()}
    assert all(v.dtype == np.float32 for v in grads.values())


@pytest.mark.parametrize("net,message", [
    ([Input(784), Conv(8), "relu", Flatten(), Dense(10), "softmax"],
     "layer 1 (conv): conv layer needs an image input (C, H, W), got shape (784,): "
     "start with Input(C, H, W), e.g. Input(1, 28, 28)"),
    ([Input(1, 4, 4), Conv(8, 5), Flatten(), Dense(10), "softmax"],
     "layer 1 (conv): conv window 5x5 is larger than the input 4x4"),
    ([Input(1, 4, 4), Conv(8, 7, pad=1), Flatten(), Dense(10), "softmax"],
     "layer 1 (conv): conv window 7x7 is larger than the padded input 6x6"),
    ([Input(1, 28, 28), Conv(8, 3, stride=0), Flatten(), Dense(10), "softmax"],
     "layer 1 (conv): conv needs size >= 1, stride >= 1 and pad >= 0; got size 3, stride 0, pad 0"),
    ([Input(1, 28, 28), Conv(0), Flatten(), Dense(10), "softmax"],
     "layer 1 (conv): conv needs filters >= 1, got 0"),
    ([Input(1, 28, 28), Conv(4, 3), MaxPool(30), Flatten(), Dense(10), "softmax"],
     "layer 2 (maxpool): maxpool window 30x30 is larger than the input 26x26"),
    ([Input(1, 28, 28), Flatten(), MaxPool(2), Dense(10), "softmax"],
     "layer 2 (maxpool): maxpool layer needs an image input (C, H, W), got shape (784,): "
     "start with Input(C, H, W), e.g. Input(1, 28, 28)"),
])
def test_bad_conv_networks_are_explained(net, message):
    with pytest.raises(ValueError) as e:
        fnn.init_params(net)
    assert str(e.value) == message


def test_weights_that_do_not_fit_the_input_are_explained():
    params = fnn.init_params([Input(3, 8, 8), Conv(4), Flatten(), Dense(2), "softmax"], seed=0)
    net = [Input(1, 8, 8), Conv(4), Flatten(), Dense(2), "softmax"]
    with pytest.raises(ValueError) as e:
        fnn.forward(params, np.zeros((64, 2), np.float32), net)
    assert str(e.value) == ("conv layer: input of shape (1, 8, 8, 2) does not fit weights W (4, 3, 3, 3), "
                            "which expect (C=3, H, W, m)")


def test_cnn_model_file_round_trip(tmp_path):
    net = [Input(1, 12, 12), Conv(4, 3, pad=1), "relu", MaxPool(2), Flatten(), Dense(3), "softmax"]
    params = fnn.init_params(net, seed=2)
    X = np.random.default_rng(2).random((144, 5), dtype=np.float32)
    path = fnn.save(tmp_path / "cnn.npz", params, net, meta={"note": "conv round trip"})
    params2, net2, meta = fnn.load(path)
    assert net2 == fnn.layers.as_layers(net) and meta == {"note": "conv round trip"}
    np.testing.assert_array_equal(fnn.predict_proba(params2, X, net2), fnn.predict_proba(params, X, net))


@pytest.mark.parametrize("net", [
    [Input(1, 28, 28), Conv(16, 3, pad=1), "relu", MaxPool(2), Conv(32, 3, pad=1), "relu", MaxPool(2),
     Flatten(), Dense(128), "relu", Dense(10), "softmax"],
    [Input(3, 9, 9), Conv(4, 3, stride=2, pad=1), "relu", MaxPool(3, 1), Flatten(), Dense(5), "softmax"],
    [Input(2, 6, 6), MaxPool(2), Conv(3, 1), "tanh", Flatten(), Dense(40), "relu", Dense(2), "softmax"],
])
def test_largest_array_is_the_largest_array_a_forward_pass_keeps(net):
    """largest_array, from the shapes alone, against the arrays forward really builds for m
    examples (every layer's output and cache, im2col columns included)."""
    m = 3
    net = fnn.layers.as_layers(net)
    params = fnn.init_params(net, seed=0)
    AL, cache = fnn.forward(params, np.ones((int(np.prod(net[0]["shape"])), m), np.float32), net)

    def sizes(x):
        if isinstance(x, np.ndarray):
            yield x.size
        elif isinstance(x, (tuple, list)):
            for item in x:
                yield from sizes(item)
    built = max(sizes(cache["kept"] + [AL]))
    assert largest_array(net) * m == built


def test_predict_in_batches_equals_one_pass(monkeypatch):
    """predict's default batches (sized by largest_array) give the labels and probabilities of
    one forward pass over all the columns, and its batch size follows PREDICT_BYTES."""
    net = fnn.layers.as_layers([Input(1, 12, 12), Conv(4, 3, pad=1), "relu", MaxPool(2), Flatten(),
                                 Dense(3), "softmax"])
    params = fnn.init_params(net, seed=3)
    X = np.random.default_rng(3).random((144, 23), dtype=np.float32)
    whole = fnn.forward(params, X, net)[0]
    per_image = largest_array(net) * 4                        # conv's columns, float32
    assert per_image == 9 * 144 * 4
    monkeypatch.setattr(fnn.network, "PREDICT_BYTES", 5 * per_image + 1)
    assert fnn.network.predict_batch(params, net) == 5        # so 23 columns run as 5 batches
    calls, real_forward = [], fnn.network.forward

    def counting_forward(p, Xb, *a):
        calls.append(Xb.shape[1])
        return real_forward(p, Xb, *a)
    monkeypatch.setattr(fnn.network, "forward", counting_forward)
    np.testing.assert_allclose(fnn.predict_proba(params, X, net), whole, rtol=1e-6, atol=1e-7)
    assert calls == [5, 5, 5, 5, 3]
    np.testing.assert_array_equal(fnn.predict(params, X, net), whole.argmax(axis=0))


@pytest.mark.parametrize("k, s", [(2, 2), (3, 2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_and_maxpool_commute_bit_for_bit(k, s, dtype):
    """maxpool(relu(A)) and relu(maxpool(A)): the same output and the same dA, exactly, on
    windows that are all negative, whose max is exactly 0, and with tied positive maxima."""
    from fnn.layers import activation_backward, activation_forward
    rng = np.random.default_rng(11)
    A = rng.standard_normal((3, 9, 9, 4)).astype(dtype)
    A[0, :4, :4] = -np.abs(A[0, :4, :4]) - 0.1                    # all negative
    A[1, :3, :3] = -1.0
    A[1, 1, 1] = 0.0                                               # max exactly 0
    A[2, :4, :4] = np.round(np.abs(A[2, :4, :4]))                  # tied positive maxima
    pool, relu = MaxPool(k, s), {"type": "relu"}
    R, rc = activation_forward(relu, None, A)
    out1, pc1 = conv.maxpool_forward(pool, None, R)
    P, pc2 = conv.maxpool_forward(pool, None, A)
    out2, rc2 = activation_forward(relu, None, P)
    np.testing.assert_array_equal(out1, out2)
    G = rng.standard_normal(out1.shape).astype(dtype)
    dA1 = activation_backward(relu, None, conv.maxpool_backward(pool, None, G, pc1)[0], rc)[0]
    dA2 = conv.maxpool_backward(pool, None, activation_backward(relu, None, G, rc2)[0], pc2)[0]
    np.testing.assert_array_equal(dA1, dA2)
    assert np.count_nonzero(dA1) > 0


def test_pool_before_relu_trains_the_same_network():
    """The swapped list computes the same A[L] and the same gradients, bit for bit, as the
    user's list; only relu -> maxpool pairs move, and nothing else changes."""
    from fnn.layers import normalize
    net = normalize([Input(1, 12, 12), Conv(4, 3, pad=1), "relu", MaxPool(2), Conv(6, 3, pad=1),
                     "relu", MaxPool(3, 2), Flatten(), Dense(8), "relu", Dense(5), "softmax"])
    fast = pool_before_relu(net)
    assert [s["type"] for s in fast] == ["input", "conv", "maxpool", "relu", "conv", "maxpool",
                                         "relu", "flatten", "dense", "relu", "dense", "softmax"]
    assert [s["type"] for s in net][2:4] == ["relu", "maxpool"]        # the input list is untouched
    rng = np.random.default_rng(2)
    params = fnn.init_params(net, seed=4)
    X = rng.random((144, 16), dtype=np.float32)
    y = rng.integers(0, 5, 16)
    AL1, c1 = fnn.forward(params, X, net)
    AL2, c2 = fnn.forward(params, X, fast)
    np.testing.assert_array_equal(AL1, AL2)
    g1, g2 = fnn.backward(params, c1, y), fnn.backward(params, c2, y)
    assert g1.keys() == g2.keys()
    for key in g1:
        np.testing.assert_array_equal(g1[key], g2[key])


@pytest.mark.parametrize("workers", [1, 2])
def test_fit_with_pool_before_relu_gives_the_weights_of_the_users_order(monkeypatch, workers):
    """fit swaps relu -> maxpool pairs (no dropout): 2 epochs give the same weights, bit for
    bit, as fit with the swap turned off."""
    import fnn.training as T
    net = [Input(1, 12, 12), Conv(4, 3, pad=1), "relu", MaxPool(2), Flatten(), Dense(5), "softmax"]
    rng = np.random.default_rng(6)
    X = rng.random((144, 96), dtype=np.float32)
    y = rng.integers(0, 5, 96)
    params = fnn.init_params(net, seed=3)

    def train():
        for rec in T.fit(params, X, y, net, epochs=2, batch_size=32, seed=1, workers=workers):
            pass
        return rec["params"]
    seen = []
    monkeypatch.setattr(T, "pool_before_relu", lambda l: seen.append(1) or pool_before_relu(l))
    swapped = train()
    monkeypatch.setattr(T, "pool_before_relu", lambda l: l)
    plain = train()
    assert seen and not np.array_equal(swapped["W1"], params["W1"])
    for key in plain:
        np.testing.assert_array_equal(swapped[key], plain[key])


def test_small_cnn_learns_mnist_beyond_frozen_random_filters(mnist_train_slice, mnist_test_slice):
    """3 epochs of Adam (lr 3e-3, batches of 32) on the 6,000-image slice, scored on 2,000 test
    images, twice: with the conv layer's own gradient, and with dW1 and db1 set to zero (filters
    frozen at their random start, the dense layer still learning). Measured with this loop on
    seeds 0, 1, 2: 0.936, 0.9305, 0.926 against frozen 0.9085, 0.898, 0.8995. So the margin of
    1.5 points needs the conv gradient to be right (a wrong one does no better than frozen)."""
    X, y = mnist_train_slice
    Xt, yt = mnist_test_slice
    net = [Input(1, 28, 28), Conv(8, 5, stride=2, pad=2), "relu", Flatten(), Dense(10), "softmax"]

    def train(freeze_conv):
        params = fnn.init_params(net, seed=0)
        state, rng = opt.adam_init(params), np.random.default_rng(0)
        for _ in range(3):
            perm = rng.permutation(X.shape[1])
            for j in range(0, X.shape[1], 32):
                idx = perm[j:j + 32]
                _, cache = fnn.forward(params, X[:, idx], net)
                grads = fnn.backward(params, cache, y[idx])
                if freeze_conv:
                    grads["dW1"], grads["db1"] = 0 * grads["dW1"], 0 * grads["db1"]
                params, state = opt.adam_update(params, grads, state, 3e-3)
        return params

    params = train(freeze_conv=False)
    start = fnn.init_params(net, seed=0)
    assert not np.allclose(params["W1"], start["W1"])
    learned = fnn.accuracy(params, Xt, yt, net)
    frozen = fnn.accuracy(train(freeze_conv=True), Xt, yt, net)
    assert learned >= 0.92 and learned >= frozen + 0.015, (learned, frozen)
