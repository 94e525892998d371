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
a reshape (windows that do not overlap) or one einsum (windows that do).
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

        dP[c, y, x, n] = sum over (u, v, i, j) with s*i + u = y, s*j + v = x of dwin[c, u, v, i, j, n]

    dwin (C, k, k, H_out, W_out, m) -> dP (C, H, W, m); pixels in no window get 0.
    Windows that do not overlap (s >= k) are written straight into a reshaped view of dP.
    Overlapping ones (s < k) are summed by one einsum: spread dwin out to stride 1 in a
    zero array D padded by k - 1, so that dP[c, y, x, n] = sum_{u,v} D[c, u, v, y + k-1-u, x + k-1-v, n],
    a diagonal of D's sliding k x k windows that einsum reads without a copy."""
    C, k, _, Ho, Wo, m = dwin.shape
    if s >= k:
        Hq, Wq = -(-H // s), -(-W // s)                            # ceil(H / s) >= H_out
        dP = np.zeros((C, Hq, s, Wq, s, m), dtype=dwin.dtype)    # dP[c, i, u, j, v, n] is pixel (s*i+u, s*j+v)
        dP[:, :Ho, :k, :Wo, :k] = dwin.transpose(0, 3, 1, 4, 2, 5)
        return dP.reshape(C, Hq * s, Wq * s, m)[:, :H, :W]
    D = np.zeros((C, k, k, H + k - 1, W + k - 1, m), dtype=dwin.dtype)
    D[:, :, :, k - 1:k - 1 + s * (Ho - 1) + 1:s, k - 1:k - 1 + s * (Wo - 1) + 1:s] = dwin
    flipped = sliding_window_view(D, (k, k), axis=(3, 4))[..., ::-1, ::-1]
    return np.einsum("cuvyxnuv->cyxn", flipped)               # flipped[c,u,v,y,x,n,a,b] = D[c,u,v,y+k-1-a,x+k-1-b,n]


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
    """dZ (F, H_out, W_out, m), un-averaged. With dZ_mat = dZ reshaped to (F, H_out*W_out*m),
    the dense layer's three equations, then col2im:

        dW     = (1/m) dZ_mat @ X_col.T                (F, C*k*k) -> (F, C, k, k)
        db     = (1/m) sum over i, j, n of dZ[f, i, j, n]  (F, 1)
        dX_col = W_mat.T @ dZ_mat                      (C*k*k, H_out*W_out*m)
        dA     = col2im(dX_col), cropped by the padding  (C, H, W, m)

    i.e. dA[c, y, x, n] = sum_{f, u, v} W[f, c, u, v] dZ[f, i, j, n] over s*i + u - p = y, s*j + v - p = x.
    Returns (dA or None when need_din is False, (dW, db))."""
    W, _ = p
    cols, (C, H, Wd, m) = cache
    F, _, k, _ = W.shape
    dZ_mat = dZ.reshape(F, -1)
    dW = (dZ_mat @ cols.T).reshape(W.shape)
    dW /= m
    db = dZ_mat.sum(axis=1, keepdims=True)
    db /= m
    if not need_din:
        return None, (dW, db)
    pad, Ho, Wo = spec["pad"], dZ.shape[1], dZ.shape[2]
    dcols = (W.reshape(F, C * k * k).T @ dZ_mat).reshape(C, k, k, Ho, Wo, m)
    dP = col2im(dcols, spec["stride"], H + 2 * pad, Wd + 2 * pad)
    return dP[:, pad:pad + H, pad:pad + Wd], (dW, db)


# ---- max-pooling ------------------------------------------------------------------------

def maxpool_forward(spec, p, A):
    """A_out[c, i, j, n] = max_{u, v < k} A[c, s*i + u, s*j + v, n]      (C, H_out, W_out, m).
    The cache keeps the windows (C, k*k, H_out, W_out, m), the maxima and A's shape."""
    k, s = spec["size"], spec["stride"]
    C, H, W, m = A.shape
    win = _windows(A, k, s)
    win = win.reshape(C, k * k, *win.shape[3:])              # one copy, examples still last
    out = win.max(axis=1)
    return out, (win, out, A.shape)


def maxpool_backward(spec, p, dout, cache, need_din=True):
    """Each output's gradient goes back to the entry that was the max of its window:

        dA[c, s*i + u, s*j + v, n] += dout[c, i, j, n] * [A[c, s*i + u, s*j + v, n] == A_out[c, i, j, n]] / t

    where t is the number of entries tied for that max (almost always 1; an even split of a
    tie is still a valid subgradient). Overlapping windows (stride < size) add up."""
    if not need_din:
        return None, None
    win, out, (C, H, W, m) = cache
    k = spec["size"]
    winner = win == out[:, None]                             # (C, k*k, H_out, W_out, m)
    share = dout / winner.sum(axis=1, dtype=dout.dtype)      # dout / t, in dout's dtype
    dwin = winner * share[:, None]
    return col2im(dwin.reshape(C, k, k, *out.shape[1:]), spec["stride"], H, W), None
