"""Convolution and max-pooling layers for images laid out (C, H, W, m), examples last.

Each layer is the usual row of pure functions (see fnn.layers):

    conv_param_shapes(spec, in_shape) -> ((F, C, k, k), (F, 1))
    conv_out_shape(spec, in_shape)    -> [F, H_out, W_out]
    conv_forward(spec, (W, b), A)     -> (Z, cache)
    conv_backward(spec, (W, b), dZ, cache, need_din) -> (dA_prev, (dW, db))

and the same without weights for max-pooling. A spec is a dict from fnn.layers:
{"type": "conv", "filters": F, "size": k, "stride": s, "pad": p} or
{"type": "maxpool", "size": k, "stride": s}.

With P = pad(A, p) (zeros around H and W), a convolution is (a cross-correlation, as in
every deep-learning library)

    Z[f, i, j, n] = sum_{c, u, v} W[f, c, u, v] P[c, s*i + u, s*j + v, n] + b[f]
    H_out = floor((H + 2p - k) / s) + 1,   W_out likewise

It is computed as one matrix product over "im2col" columns: every k x k patch of every
channel becomes one column of X_col (C*k*k, H_out*W_out*m), and Z = W_mat @ X_col + b with
W_mat = W reshaped to (F, C*k*k), exactly the dense layer's Z = W @ A + b. Because the
examples are the last axis, Z comes out of the product already laid out as (F, H_out, W_out, m).

No Python loop runs over examples, pixels or kernel positions: the patches are a strided
view (numpy.lib.stride_tricks.sliding_window_view), copied once into X_col.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


# ---- shapes -----------------------------------------------------------------------------

def _image_shape(kind, in_shape):
    if len(in_shape) != 3:
        raise ValueError(f"{kind} layer needs an image input (C, H, W), got shape {tuple(in_shape)}: "
                         f"start with Input(C, H, W), e.g. Input(1, 28, 28)")
    return [int(s) for s in in_shape]


def _window_out(kind, H, W, size, stride, pad=0):
    """H_out, W_out = floor((H + 2p - k) / s) + 1 (a last partial window is dropped)."""
    if size < 1 or stride < 1 or pad < 0:
        raise ValueError(f"{kind} needs size >= 1, stride >= 1 and pad >= 0; "
                         f"got size {size}, stride {stride}, pad {pad}")
    if size > H + 2 * pad or size > W + 2 * pad:
        padded = f"padded input {H + 2 * pad}x{W + 2 * pad}" if pad else f"input {H}x{W}"
        raise ValueError(f"{kind} window {size}x{size} is larger than the {padded}")
    return (H + 2 * pad - size) // stride + 1, (W + 2 * pad - size) // stride + 1


def conv_param_shapes(spec, in_shape):
    """W (F, C, k, k), b (F, 1)."""
    C, _, _ = _image_shape("conv", in_shape)
    if spec["filters"] < 1:
        raise ValueError(f"conv needs filters >= 1, got {spec['filters']}")
    conv_out_shape(spec, in_shape)
    k = spec["size"]
    return (spec["filters"], C, k, k), (spec["filters"], 1)


def conv_out_shape(spec, in_shape):
    """(C, H, W) -> [F, H_out, W_out]."""
    _, H, W = _image_shape("conv", in_shape)
    return [spec["filters"], *_window_out("conv", H, W, spec["size"], spec["stride"], spec["pad"])]


def maxpool_out_shape(spec, in_shape):
    """(C, H, W) -> [C, H_out, W_out]."""
    C, H, W = _image_shape("maxpool", in_shape)
    return [C, *_window_out("maxpool", H, W, spec["size"], spec["stride"])]


# ---- im2col -----------------------------------------------------------------------------

def _windows(P, k, s):
    """All k x k windows of P (C, H, W, m) at stride s, as a view (C, H_out, W_out, m, k, k):
    windows[c, i, j, n, u, v] = P[c, s*i + u, s*j + v, n]."""
    return sliding_window_view(P, (k, k), axis=(1, 2))[:, ::s, ::s]


def im2col(P, k, s):
    """X_col (C*k*k, H_out*W_out*m) with X_col[(c, u, v), (i, j, n)] = P[c, s*i + u, s*j + v, n].
    P is the already padded input (C, H, W, m). Returns (X_col, (H_out, W_out))."""
    win = _windows(P, k, s)
    C, Ho, Wo, m = win.shape[:4]
    cols = win.transpose(0, 4, 5, 1, 2, 3).reshape(C * k * k, Ho * Wo * m)   # the one copy
    return cols, (Ho, Wo)


def _pad(A, p):
    return A if p == 0 else np.pad(A, ((0, 0), (p, p), (p, p), (0, 0)))


# ---- convolution ------------------------------------------------------------------------

def conv_forward(spec, p, A):
    """Z = W * A + b (cross-correlation), as one matrix product:

        Z_mat = W_mat @ X_col + b       W_mat (F, C*k*k), X_col (C*k*k, H_out*W_out*m)

    A (C, H, W, m) -> Z (F, H_out, W_out, m). The cache keeps X_col (for dW) and A's shape."""
    W, b = p
    F, C, k, _ = W.shape
    if A.ndim != 4 or A.shape[0] != C:
        raise ValueError(f"conv layer: input of shape {A.shape} does not fit weights W {W.shape}, "
                         f"which expect (C={C}, H, W, m)")
    cols, (Ho, Wo) = im2col(_pad(A, spec["pad"]), k, spec["stride"])
    Z = W.reshape(F, C * k * k) @ cols
    Z += b                                        # b (F, 1) over all H_out*W_out*m columns
    return Z.reshape(F, Ho, Wo, A.shape[-1]), (cols, A.shape)


def conv_backward(spec, p, dZ, cache, need_din=True):
    """dZ (F, H_out, W_out, m), un-averaged. With dZ_mat = dZ reshaped to (F, H_out*W_out*m):

        dW = (1/m) dZ_mat @ X_col.T                   (F, C*k*k) -> (F, C, k, k)
        db = (1/m) sum over i, j, n of dZ[f, i, j, n]  (F, 1)
        dA[c, y, x, n] = sum_{f, u, v} W[f, c, u, v] dZ[f, i, j, n]  over s*i + u - p = y, s*j + v - p = x

    The last sum is a "full" convolution: spread dZ out to stride 1 (s - 1 zeros between
    entries), pad it by k - 1, and cross-correlate it with W flipped in both spatial axes and
    with its F and C axes swapped (W_flip[c, f, u, v] = W[f, c, k-1-u, k-1-v]). That reuses
    im2col and one matrix product instead of scattering patches back one kernel position at
    a time. Returns (dA (C, H, W, m) or None, (dW, db))."""
    W, _ = p
    cols, A_shape = cache
    F, C, k, _ = W.shape
    m = dZ.shape[-1]
    dZ_mat = dZ.reshape(F, -1)
    dW = (dZ_mat @ cols.T).reshape(W.shape)
    dW /= m
    db = dZ_mat.sum(axis=1, keepdims=True)
    db /= m
    if not need_din:
        return None, (dW, db)

    s, pad = spec["stride"], spec["pad"]
    _, H, Wd, _ = A_shape
    Hp, Wp = H + 2 * pad, Wd + 2 * pad
    Ho, Wo = dZ.shape[1:3]
    # D: dZ dilated by s, with k-1 zeros before it and enough after it that the full
    # convolution is exactly Hp x Wp (rows the forward windows never reached get 0).
    D = np.zeros((F, Hp + k - 1, Wp + k - 1, m), dtype=dZ.dtype)
    D[:, k - 1:k - 1 + s * (Ho - 1) + 1:s, k - 1:k - 1 + s * (Wo - 1) + 1:s] = dZ
    W_flip = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).reshape(C, F * k * k)
    D_cols, _ = im2col(D, k, 1)
    dP = (W_flip @ D_cols).reshape(C, Hp, Wp, m)
    return dP[:, pad:pad + H, pad:pad + Wd], (dW, db)


# ---- max-pooling ------------------------------------------------------------------------

def maxpool_forward(spec, p, A):
    """A_out[c, i, j, n] = max_{u, v < k} A[c, s*i + u, s*j + v, n]      (C, H_out, W_out, m).

    The cache keeps, for every output, the flat index into A of the entry that won
    (the first one on ties, as in PyTorch), and A's shape."""
    k, s = spec["size"], spec["stride"]
    C, H, W, m = A.shape
    win = _windows(A, k, s)                                   # (C, Ho, Wo, m, k, k) view
    Ho, Wo = win.shape[1:3]
    flat = win.reshape(C, Ho, Wo, m, k * k)                   # one copy
    arg = flat.argmax(axis=-1)                                # (C, Ho, Wo, m), 0 .. k*k-1
    out = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    c, i, j, n = np.ogrid[:C, :Ho, :Wo, :m]
    y, x = s * i + arg // k, s * j + arg % k                  # where each max sits in A
    index = ((c * H + y) * W + x) * m + n
    return out, (index, A.shape)


def maxpool_backward(spec, p, dout, cache, need_din=True):
    """dA[c, y, x, n] = sum of dout over the windows whose max sat at (c, y, x, n); 0 elsewhere.
    Overlapping windows (stride < size) can pick the same entry; their gradients add up."""
    if not need_din:
        return None, None
    index, shape = cache
    dA = np.bincount(index.ravel(), weights=dout.ravel(), minlength=int(np.prod(shape)))
    return dA.astype(dout.dtype, copy=False).reshape(shape), None
