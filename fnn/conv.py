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

Backward runs the same way in reverse: dX_col = W_mat.T @ dZ_mat, and col2im adds every
patch entry back to the pixel it came from.

No Python loop runs over examples, pixels or kernel positions: the patches are a strided
view (numpy.lib.stride_tricks.sliding_window_view), copied once into X_col, and col2im is
a reshape (windows that do not overlap) or one strided assignment and one sum (windows that
do). docs/math.md, section 7, derives every equation here.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view


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


# ---- im2col and its adjoint, col2im ----------------------------------------------------

def _windows(P, k, s):
    """All k x k windows of P (C, H, W, m) at stride s, as a view (C, k, k, H_out, W_out, m):
    windows[c, u, v, i, j, n] = P[c, s*i + u, s*j + v, n]."""
    return sliding_window_view(P, (k, k), axis=(1, 2))[:, ::s, ::s].transpose(0, 4, 5, 1, 2, 3)


def im2col(P, k, s):
    """X_col (C*k*k, H_out*W_out*m) with X_col[(c, u, v), (i, j, n)] = P[c, s*i + u, s*j + v, n].
    P is the already padded input (C, H, W, m). Returns (X_col, (H_out, W_out))."""
    win = _windows(P, k, s)
    C, _, _, Ho, Wo, m = win.shape
    return win.reshape(C * k * k, Ho * Wo * m), (Ho, Wo)      # the one copy


def col2im(dwin, s, H, W):
    """The adjoint of im2col: every window entry adds back to the pixel it was read from,

        dP[c, y, x, n] = sum over (u, v, i, j) with s*i + u = y, s*j + v = x of dwin[u, v, c, i, j, n]

    dwin (k, k, C, H_out, W_out, m), the window offset (u, v) first -> dP (C, H, W, m);
    pixels in no window get 0.

    Windows that do not overlap (s >= k) are written straight into a reshaped view of dP.
    Overlapping ones (s < k): D (k, k, C, H, W, m) holds one zero image per offset (u, v), and
    a strided view of D puts dwin[u, v, c, i, j, n] at D[u, v, c, s*i + u, s*j + v, n] in one
    assignment; dP is then the sum of the k*k images, one reduction over D's first axes."""
    k, _, C, Ho, Wo, m = dwin.shape
    if s >= k:
        Hq, Wq = -(-H // s), -(-W // s)                            # ceil(H / s) >= H_out
        dP = np.zeros((C, Hq, s, Wq, s, m), dtype=dwin.dtype)    # dP[c, i, u, j, v, n] is pixel (s*i+u, s*j+v)
        dP[:, :Ho, :k, :Wo, :k] = dwin.transpose(2, 3, 0, 4, 1, 5)
        return dP.reshape(C, Hq * s, Wq * s, m)[:, :H, :W]
    D = np.zeros((k, k, C, H, W, m), dtype=dwin.dtype)
    su, sv, sc, sy, sx, sn = D.strides
    shifted = as_strided(D, dwin.shape, (su + sy, sv + sx, sc, s * sy, s * sx, sn), writeable=True)
    shifted[...] = dwin                                        # shifted[u, v, c, i, j, n] = D[u, v, c, s*i+u, s*j+v, n]
    return D.reshape(k * k, C, H, W, m).sum(axis=0)


def _pad(A, p):
    """A (C, H, W, m) with p zero rows and columns on every side."""
    if p == 0:
        return A
    C, H, W, m = A.shape
    P = np.zeros((C, H + 2 * p, W + 2 * p, m), dtype=A.dtype)
    P[:, p:p + H, p:p + W] = A
    return P


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
    """dZ (F, H_out, W_out, m), un-averaged. With dZ_mat = dZ reshaped to (F, H_out*W_out*m),
    the dense layer's three equations, then col2im:

        dW     = (1/m) dZ_mat @ X_col.T                (F, C*k*k) -> (F, C, k, k)
        db     = (1/m) sum over i, j, n of dZ[f, i, j, n]  (F, 1)
        dX_col = W_mat.T @ dZ_mat                      (C*k*k, H_out*W_out*m)
        dA     = col2im(dX_col), cropped by the padding  (C, H, W, m)

    i.e. dA[c, y, x, n] = sum_{f, u, v} W[f, c, u, v] dZ[f, i, j, n] over s*i + u - p = y, s*j + v - p = x.
    dW is computed as (X_col @ dZ_mat.T).T, the same matrix: BLAS runs the long sum over
    H_out*W_out*m faster with X_col untransposed (`python benchmarks/micro.py conv_dW`
    times both on the MNIST CNN's second layer). dX_col's rows come out ordered (u, v, c), the layout col2im
    takes (W_mat.T with its rows permuted: the same numbers, in the order they are summed).
    Returns (dA or None when need_din is False, (dW, db))."""
    W, _ = p
    cols, (C, H, Wd, m) = cache
    F, _, k, _ = W.shape
    dZ_mat = dZ.reshape(F, -1)
    dW = (cols @ dZ_mat.T).T.reshape(W.shape)                # a view of the new product
    dW /= m
    db = dZ_mat.sum(axis=1, keepdims=True)
    db /= m
    if not need_din:
        return None, (dW, db)
    pad, Ho, Wo = spec["pad"], dZ.shape[1], dZ.shape[2]
    W_t = W.transpose(2, 3, 1, 0).reshape(k * k * C, F)      # W_mat.T, rows (u, v, c)
    dcols = (W_t @ dZ_mat).reshape(k, k, C, Ho, Wo, m)
    dP = col2im(dcols, spec["stride"], H + 2 * pad, Wd + 2 * pad)
    return dP[:, pad:pad + H, pad:pad + Wd], (dW, db)


# ---- max-pooling ------------------------------------------------------------------------

def maxpool_forward(spec, p, A):
    """A_out[c, i, j, n] = max_{u, v < k} A[c, s*i + u, s*j + v, n]      (C, H_out, W_out, m).
    The windows are copied once with the offset (u, v) first, (k*k, C, H_out, W_out, m), so
    the max is a reduction over the first axis. The cache keeps them, the maxima and A's shape."""
    k, s = spec["size"], spec["stride"]
    win = _windows(A, k, s)                                    # view (C, k, k, H_out, W_out, m)
    C, _, _, Ho, Wo, m = win.shape
    win = np.ascontiguousarray(win.transpose(1, 2, 0, 3, 4, 5)).reshape(k * k, C, Ho, Wo, m)
    out = win.max(axis=0)
    return out, (win, out, A.shape)


def maxpool_backward(spec, p, dout, cache, need_din=True):
    """Each output's gradient goes back to the entry that was the max of its window:

        dA[c, s*i + u, s*j + v, n] += dout[c, i, j, n] * [A[c, s*i + u, s*j + v, n] == A_out[c, i, j, n]] / t

    where t is the number of entries tied for that max (almost always 1; see docs/math.md
    section 7 for why an even split). Overlapping windows (stride < size) add up (col2im)."""
    if not need_din:
        return None, None
    win, out, (C, H, W, m) = cache
    k, s = spec["size"], spec["stride"]
    winner = win == out                                      # (k*k, C, H_out, W_out, m)
    # t, counted in bytes: no cast of the mask (benchmarks/micro.py maxpool_ties)
    t = winner.view(np.uint8).sum(axis=0, dtype=np.uint8 if k * k < 256 else np.int32)
    share = (dout / t).astype(dout.dtype, copy=False)        # dout / t
    Ho, Wo = out.shape[1:3]
    if s == k and H == s * Ho and W == s * Wo:               # the windows tile A exactly
        dA = np.empty((C, Ho, k, Wo, k, m), dtype=dout.dtype)  # dA[c, i, u, j, v, n] is pixel (k*i+u, k*j+v)
        np.multiply(winner.reshape(k, k, C, Ho, Wo, m), share, out=dA.transpose(2, 4, 0, 1, 3, 5))
        return dA.reshape(C, H, W, m), None
    dwin = winner * share
    return col2im(dwin.reshape(k, k, C, Ho, Wo, m), s, H, W), None
