"""Data augmentation for MNIST batches: random affine warps and stroke-width changes.

Every function takes a batch X of flat 28x28 images, one image per COLUMN, shape (784, m),
float in [0, 1], and returns a NEW float32 (784, m) batch in [0, 1]. Randomness only comes
from the `np.random.Generator` passed in, so a seed reproduces an augmented epoch.

Coordinates: pixel [i, j] of a 28x28 image (flat index 28*i + j) sits at (y, x) = (i, j);
the image centre is c = (13.5, 13.5). Angles are in degrees, positive = counter-clockwise as
the image is displayed (row 0 at the top).

Nothing loops over images or pixels. The batch is walked in chunks of 256 images; inside a
chunk every source coordinate comes from one matrix product and the bilinear interpolation is
four gathers and three lerps over (k, 784) arrays.
"""

import numpy as np

SIDE = 28                   # images are SIDE x SIDE
_PAD = 2                    # zero border added before gathering (see _warp_chunk)
_PSIDE = SIDE + 2 * _PAD    # padded side, 32
_CHUNK = 256                # images processed at a time


def _as_batch(X, name):
    """Check that X is a (784, m) batch; return it as an array (no copy)."""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] != SIDE * SIDE:
        raise ValueError(
            f"{name} must have shape (784, m) -- one flat 28x28 image per column -- got {X.shape}")
    return X


def _per_image(v, m, name):
    """Broadcast a scalar or (m,) parameter to an (m,) float64 array."""
    v = np.asarray(v, dtype=np.float64)
    if v.ndim == 0:
        return np.full(m, float(v))
    if v.shape != (m,):
        raise ValueError(f"{name} must be a scalar or have shape ({m},), got {v.shape}")
    return v


# (3, 784): every output pixel's x', y' and a 1, in the flattened (row-major) pixel order
_GRID = np.vstack([np.indices((SIDE, SIDE))[::-1].reshape(2, -1),
                   np.ones((1, SIDE * SIDE))]).astype(np.float32)


def _warp_chunk(X, T):
    """Bilinear warp of k images by k affine maps of coordinates.

    X: (784, k) view of the input batch (any strides); T: (k, 2, 3) float32, row 0 maps the
    output pixel's homogeneous coordinates (x', y', 1) to the source x, row 1 to the source y,
    both in the PADDED frame (image pixel (y, x) is padded pixel (y+2, x+2)).
    -> (k, 784) float32:  out = lerp_y( lerp_x(P[y0, x0], P[y0, x0+1]), lerp_x(P[y0+1, x0], P[y0+1, x0+1]) )
    with y0 = floor(y), fy = y - y0 (same for x) and lerp_f(a, b) = a + f (b - a).

    Zero fill without masks: each image sits in a 32x32 zero field (2-px border) and source
    coordinates are clipped to [1, 30]. A clipped coordinate is a whole number (f = 0) lying
    on the zero border, so every point outside the image reads 0, and points within 1 px of
    the edge fade out linearly, as bilinear sampling of a zero-padded image should.
    The four neighbours are gathered with ONE index array from four offset views of the flat
    padded batch (offsets 0, 1, 32, 33), so no index arithmetic is repeated.
    """
    k = X.shape[1]
    P = np.zeros((k, _PSIDE, _PSIDE), dtype=np.float32)
    P[:, _PAD:_PAD + SIDE, _PAD:_PAD + SIDE] = X.T.reshape(k, SIDE, SIDE)
    flat = P.reshape(-1)

    C = T @ _GRID                                   # (k, 2, 784) source (x, y), padded frame
    np.clip(C, 1.0, _PSIDE - 2.0, out=C)
    F = np.floor(C)
    C -= F                                         # C now holds the fractions (fx, fy)
    fx, fy = C[:, 0], C[:, 1]
    idx = F[:, 1] * _PSIDE                         # flat index of (y0, x0), exact in float32
    idx += F[:, 0]
    idx += (np.arange(k, dtype=np.float32) * (_PSIDE * _PSIDE))[:, None]
    idx = idx.astype(np.intp)

    a = np.take(flat, idx)                         # P[y0, x0]
    top = np.take(flat[1:], idx)                   # P[y0, x0+1]
    top -= a
    top *= fx
    top += a                                       # row y0, interpolated in x
    a = np.take(flat[_PSIDE:], idx)                # P[y0+1, x0]
    bot = np.take(flat[_PSIDE + 1:], idx)          # P[y0+1, x0+1]
    bot -= a
    bot *= fx
    bot += a                                       # row y0+1, interpolated in x
    bot -= top
    bot *= fy
    bot += top                                     # interpolated in y
    return bot


def affine(X, angle_deg, scale, dx, dy):
    """Rotate, scale and translate every image of a batch, about the image centre.

    X: (784, m) float in [0, 1] (any memory layout); angle_deg, scale, dx, dy: scalars or (m,)
    arrays (one value per image).
    -> new (784, m) float32 in [0, 1], bilinear sampling, zero fill.

    Forward map of a point p = (x, y) (c = image centre (13.5, 13.5), t = (dx, dy), s = scale):
        p' = c + s * Rot(theta) (p - c) + t,   Rot(theta) = [[cos, sin], [-sin, cos]]
    (counter-clockwise on screen, because y points down). Each output pixel p' reads the input
    at its inverse image
        p = c + (1/s) * Rot(-theta) (p' - c - t) = M p' + o,
        M = (1/s) [[cos, -sin], [sin, cos]],   o = c - M (c + t).
    So dx = 1 moves the digit one column right, dy = 1 one row down, s > 1 enlarges it, and
    identity parameters (0, 1, 0, 0) return X exactly (as float32).
    The batch is processed in chunks of images; inside a chunk all (k, 784) source coordinates
    come from one matrix product T @ [x'; y'; 1] and are sampled by `_warp_chunk`.
    """
    X = _as_batch(X, "affine: X")
    m = X.shape[1]
    theta = np.deg2rad(_per_image(angle_deg, m, "affine: angle_deg"))
    s = _per_image(scale, m, "affine: scale")
    if not np.all(s > 0):
        raise ValueError("affine: scale must be > 0 for every image")
    tx = _per_image(dx, m, "affine: dx")
    ty = _per_image(dy, m, "affine: dy")

    c = (SIDE - 1) / 2.0
    cos_s, sin_s = np.cos(theta) / s, np.sin(theta) / s
    T = np.empty((m, 2, 3))
    T[:, 0, 0], T[:, 0, 1] = cos_s, -sin_s         # x = cos/s x' - sin/s y' + o_x
    T[:, 1, 0], T[:, 1, 1] = sin_s, cos_s          # y = sin/s x' + cos/s y' + o_y
    T[:, 0, 2] = c - (cos_s * (c + tx) - sin_s * (c + ty)) + _PAD
    T[:, 1, 2] = c - (sin_s * (c + tx) + cos_s * (c + ty)) + _PAD
    T = T.astype(np.float32)

    out = np.empty((SIDE * SIDE, m), dtype=np.float32)
    for a in range(0, m, _CHUNK):                  # chunks of images, not single images
        b = min(a + _CHUNK, m)
        out[:, a:b] = _warp_chunk(X[:, a:b], T[a:b]).T
    np.clip(out, 0.0, 1.0, out=out)
    return out


def random_affine(X, rng, max_shift=2.0, max_rotate=12.0, scale=(0.9, 1.1)):
    """Give every image its own random rotation, scale and shift.

    X: (784, m) float in [0, 1]; rng: np.random.Generator.
    -> new (784, m) float32 in [0, 1]: image k gets
        angle_k ~ U(-max_rotate, max_rotate) degrees,  s_k ~ U(scale[0], scale[1]),
        dx_k, dy_k ~ U(-max_shift, max_shift) px,
    applied by `affine` (about the centre, bilinear, zero fill).
    """
    m = np.asarray(X).shape[-1]
    angle = rng.uniform(-max_rotate, max_rotate, size=m)
    s = rng.uniform(scale[0], scale[1], size=m)
    dx = rng.uniform(-max_shift, max_shift, size=m)
    dy = rng.uniform(-max_shift, max_shift, size=m)
    return affine(X, angle, s, dx, dy)


def _dilate_erode(X):
    """3x3 max (dilate) and 3x3 min (erode) of every image, zero outside the image.

    X: (784, k) view -> two (784, k) float32 arrays,
        dilate[i, j] = max_{|a|,|b| <= 1} X[i+a, j+b],  erode[i, j] = min_{|a|,|b| <= 1} X[i+a, j+b].
    The (784, k) batch reshapes to (28, 28, k), so the shifted neighbours are slices; the 3x3
    window is separable: a 1x3 max/min along the columns, then a 3x1 along the rows.
    """
    k = X.shape[1]
    P = np.zeros((SIDE + 2, SIDE + 2, k), dtype=np.float32)
    P[1:-1, 1:-1] = X.reshape(SIDE, SIDE, k)
    out = []
    for reduce in (np.maximum, np.minimum):        # 2 operations, not a loop over pixels
        r = reduce(P[:, :-2], P[:, 1:-1])
        reduce(r, P[:, 2:], out=r)                 # (30, 28, k): 1x3 along columns
        o = reduce(r[:-2], r[1:-1])
        reduce(o, r[2:], out=o)                    # (28, 28, k): 3x1 along rows
        out.append(o.reshape(SIDE * SIDE, k))
    return out


def stroke(X, amount):
    """Thicker (amount > 0) or thinner (amount < 0) strokes by blending with a 3x3 max / min.

    X: (784, m) float in [0, 1]; amount: scalar or (m,) in [-1, 1].
        out = X + a (dilate3x3(X) - X)   for a = amount >= 0  (a = 1: full dilation, +1 px each side)
        out = X + |a| (erode3x3(X) - X)  for a = amount < 0   (a = -1: full erosion, which erases
                                                               strokes under 3 px; keep |a| <= 0.6)
    -> new (784, m) float32 in [0, 1]. amount = 0 returns X.
    """
    X = _as_batch(X, "stroke: X")
    m = X.shape[1]
    amt = _per_image(amount, m, "stroke: amount")
    if np.any(np.abs(amt) > 1):
        raise ValueError("stroke: amount must lie in [-1, 1] for every image")
    thick = np.maximum(amt, 0.0).astype(np.float32)[None, :]      # (1, m)
    thin = np.maximum(-amt, 0.0).astype(np.float32)[None, :]
    out = np.empty((SIDE * SIDE, m), dtype=np.float32)
    for a in range(0, m, _CHUNK):                  # chunks of images, not single images
        b = min(a + _CHUNK, m)
        x = np.ascontiguousarray(X[:, a:b], dtype=np.float32)
        dil, ero = _dilate_erode(x)
        dil -= x
        dil *= thick[:, a:b]
        ero -= x
        ero *= thin[:, a:b]
        dil += ero
        dil += x
        out[:, a:b] = dil
    np.clip(out, 0.0, 1.0, out=out)
    return out
