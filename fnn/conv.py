"""Convolution, max- and average pooling layers for images laid out (C, H, W, m), examples last.

Each kind is a constructor of its spec, its pure functions and one entry of ROWS, which
fnn.layers.KINDS turns into a fnn.layers.Kind:

    conv_param_shapes(spec, in_shape) -> ((F, C, k, k), (F, 1))
    conv_out_shape(spec, in_shape)    -> [F, H_out, W_out]
    conv_forward(spec, (W, b), A)     -> (Z, cache)
    conv_backward(spec, (W, b), dZ, cache, need_din) -> (dA_prev, (dW, db))

and the same without weights for pooling. A spec is a plain dict:
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

Python loops run over the k*k kernel offsets (u, v) only, never over examples or pixels:
each offset is one whole-batch strided slice P[:, u::s, v::s] (im2col copies it, col2im adds
into it, max-pool compares it). docs/math.md, section 7, derives every equation here.
"""
import numpy as np


# ---- spec constructors (fnn.layers) ------------------------------------------------------

def Conv(filters, size=3, stride=1, pad=0):
    """2-D convolution: W (filters, C, size, size), b (filters, 1)."""
    return {"type": "conv", "filters": int(filters), "size": int(size),
            "stride": int(stride), "pad": int(pad)}


def MaxPool(size=2, stride=None):
    """Max over size x size windows moved by stride (default: size, non-overlapping)."""
    return {"type": "maxpool", "size": int(size), "stride": int(size if stride is None else stride)}


def AvgPool(size=2, stride=None):
    """Mean over size x size windows moved by stride (default: size, non-overlapping)."""
    return {"type": "avgpool", "size": int(size), "stride": int(size if stride is None else stride)}


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


def pool_out_shape(spec, in_shape):
    """(C, H, W) -> [C, H_out, W_out], for max- and average pooling."""
    C, H, W = _image_shape(spec["type"], in_shape)
    return [C, *_window_out(spec["type"], H, W, spec["size"], spec["stride"])]


# ---- im2col and its adjoint, col2im ----------------------------------------------------

def _at(u, v, s, Ho, Wo):
    """The index of the window entries at offset (u, v): [:, s*i + u, s*j + v] for i < H_out, j < W_out."""
    return slice(None), slice(u, u + s * Ho, s), slice(v, v + s * Wo, s)


def im2col(P, k, s):
    """X_col (C*k*k, H_out*W_out*m) with X_col[(c, u, v), (i, j, n)] = P[c, s*i + u, s*j + v, n].
    P is the already padded input (C, H, W, m). One whole-batch copy per kernel offset (u, v).
    Returns (X_col, (H_out, W_out))."""
    C, H, W, m = P.shape
    Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
    cols = np.empty((C, k, k, Ho, Wo, m), dtype=P.dtype)
    for u in range(k):
        for v in range(k):
            cols[:, u, v] = P[_at(u, v, s, Ho, Wo)]
    return cols.reshape(C * k * k, Ho * Wo * m), (Ho, Wo)


def col2im(dcols, s, H, W):
    """The adjoint of im2col: every column entry adds back to the pixel it was read from,

        dP[c, s*i + u, s*j + v, n] += dcols[c, u, v, i, j, n]     for every (u, v, i, j)

    dcols (C, k, k, H_out, W_out, m), i.e. dX_col with its rows (c, u, v) unfolded -> dP (C, H, W, m);
    pixels in no window get 0. One whole-batch slice-add per kernel offset (u, v); where windows
    overlap (s < k) a pixel collects from several offsets."""
    C, k, _, Ho, Wo, m = dcols.shape
    dP = np.zeros((C, H, W, m), dtype=dcols.dtype)
    for u in range(k):
        for v in range(k):
            dP[_at(u, v, s, Ho, Wo)] += dcols[:, u, v]
    return dP


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
    Returns (dA or None when need_din is False, (dW, db))."""
    W, _ = p
    cols, (C, H, Wd, m) = cache
    F, _, k, _ = W.shape
    dZ_mat = dZ.reshape(F, -1)
    dW = (dZ_mat @ cols.T).reshape(W.shape) / m
    db = dZ_mat.sum(axis=1, keepdims=True) / m
    if not need_din:
        return None, (dW, db)
    pad, Ho, Wo = spec["pad"], dZ.shape[1], dZ.shape[2]
    dcols = W.reshape(F, C * k * k).T @ dZ_mat
    dP = col2im(dcols.reshape(C, k, k, Ho, Wo, m), spec["stride"], H + 2 * pad, Wd + 2 * pad)
    return dP[:, pad:pad + H, pad:pad + Wd], (dW, db)


# ---- pooling ----------------------------------------------------------------------------

def _grid(spec, shape):
    """(k, s, H_out, W_out) of a pooling spec on an input of shape (C, H, W, m)."""
    k, s = spec["size"], spec["stride"]
    return k, s, (shape[1] - k) // s + 1, (shape[2] - k) // s + 1


def maxpool_forward(spec, p, A):
    """A_out[c, i, j, n] = max_{u, v < k} A[c, s*i + u, s*j + v, n]      (C, H_out, W_out, m),
    a running maximum over the k*k offsets (u, v), each a whole-batch strided slice of A.
    The cache keeps A and the maxima."""
    k, s, Ho, Wo = _grid(spec, A.shape)
    out = A[_at(0, 0, s, Ho, Wo)].copy()
    for u in range(k):
        for v in range(k):
            if u or v:
                np.maximum(out, A[_at(u, v, s, Ho, Wo)], out=out)
    return out, (A, out)


def maxpool_backward(spec, p, dout, cache, need_din=True):
    """Each window's gradient goes to its first maximum, in the order (u, v) = (0, 0), (0, 1), ...:

        dA[c, s*i + u, s*j + v, n] += dout[c, i, j, n] * [(u, v) is the first offset where A = A_out]

    (PyTorch's rule; docs/math.md section 7 says why this subgradient). Where windows overlap
    (stride < size), an entry collects from every window it won."""
    if not need_din:
        return None, None
    A, out = cache
    k, s, Ho, Wo = _grid(spec, A.shape)
    dA = np.zeros_like(A)
    open_ = np.ones(out.shape, dtype=bool)                   # windows whose max is not yet found
    for u in range(k):
        for v in range(k):
            at = _at(u, v, s, Ho, Wo)
            first = (A[at] == out) & open_
            open_ &= ~first
            dA[at] += first * dout
    return dA, None


def avgpool_forward(spec, p, A):
    """A_out[c, i, j, n] = (1/k^2) sum_{u, v < k} A[c, s*i + u, s*j + v, n]   (C, H_out, W_out, m),
    a running sum over the k*k offsets. The cache keeps A's shape."""
    k, s, Ho, Wo = _grid(spec, A.shape)
    out = A[_at(0, 0, s, Ho, Wo)].copy()
    for u in range(k):
        for v in range(k):
            if u or v:
                out += A[_at(u, v, s, Ho, Wo)]
    out /= k * k
    return out, A.shape


def avgpool_backward(spec, p, dout, shape, need_din=True):
    """Every entry of a window gets an equal share of the window's gradient:

        dA[c, s*i + u, s*j + v, n] += dout[c, i, j, n] / k^2      for every offset (u, v)

    (where windows overlap, an entry adds up the shares of every window it is in)."""
    if not need_din:
        return None, None
    k, s, Ho, Wo = _grid(spec, shape)
    share = dout / (k * k)
    dA = np.zeros(shape, dtype=dout.dtype)
    for u in range(k):
        for v in range(k):
            dA[_at(u, v, s, Ho, Wo)] += share
    return dA, None


ROWS = {       # fnn.layers.KINDS makes a fnn.layers.Kind of each (its fields say what they are)
    "conv": dict(fields=("filters", "size", "stride", "pad"), param_shapes=conv_param_shapes,
                 out_shape=conv_out_shape, forward=conv_forward, backward=conv_backward,
                 math="dW[l]  = (1/m) dZ_mat @ X_col.T",
                 dx_math="dX = dA[0] = col2im(W_mat[1].T @ dZ_mat[1])",
                 offsets=lambda spec: spec["size"] ** 2, name=lambda spec: f"conv{spec['filters']}",
                 title=lambda spec: f"conv {spec['filters']}@{spec['size']}x{spec['size']}"
                 + (f" pad {spec['pad']}" if spec["pad"] else "")
                 + (f" stride {spec['stride']}" if spec["stride"] > 1 else "")),
    "maxpool": dict(fields=("size", "stride"), param_shapes=None, out_shape=pool_out_shape,
                    forward=maxpool_forward, backward=maxpool_backward,
                    math="A_out[c, i, j, n] = max_{u, v < k} A[c, s·i + u, s·j + v, n]",
                    offsets=lambda spec: spec["size"] ** 2, name=lambda spec: "pool",
                    title=lambda spec: f"pool {spec['size']}"),
    "avgpool": dict(fields=("size", "stride"), param_shapes=None, out_shape=pool_out_shape,
                    forward=avgpool_forward, backward=avgpool_backward,
                    math="A_out[c, i, j, n] = (1/k²) Σ_{u, v < k} A[c, s·i + u, s·j + v, n]",
                    offsets=lambda spec: spec["size"] ** 2,
                    title=lambda spec: f"avgpool {spec['size']}"),
}
