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
_PAD = 2                    # zero border added before gathering (see _sample_chunk)
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


def _sample_chunk(X, C):
    """Bilinear sampling of k images at k x 784 source points.

    X: (784, k) view of the input batch (any strides); C: (k, 2, 784) float32 source
    coordinates (x, y) of every output pixel, in the PADDED frame (image pixel (y, x) is
    padded pixel (y+2, x+2)); C is overwritten.
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


def affine(X, angle_deg, scale, dx, dy, shear=0.0):
    """Slant, rotate, scale and translate every image of a batch, about the image centre.

    X: (784, m) float in [0, 1] (any memory layout); angle_deg, scale, dx, dy, shear: scalars
    or (m,) arrays (one value per image).
    -> new (784, m) float32 in [0, 1], bilinear sampling, zero fill.

    Forward map of a point p = (x, y) (c = image centre (13.5, 13.5), t = (dx, dy), s = scale,
    h = shear):
        p' = c + s Rot(theta) Sh(h) (p - c) + t,
        Rot(theta) = [[cos, sin], [-sin, cos]],   Sh(h) = [[1, -h], [0, 1]]
    (counter-clockwise on screen, because y points down; h > 0 slants the digit to the right
    like italics: a point h px above the centre row moves h px right). Each output pixel p'
    reads the input at its inverse image
        p = c + (1/s) Sh(-h) Rot(-theta) (p' - c - t) = M p' + o,
        M = (1/s) [[cos + h sin, h cos - sin], [sin, cos]],   o = c - M (c + t).
    So dx = 1 moves the digit one column right, dy = 1 one row down, s > 1 enlarges it, and
    identity parameters (0, 1, 0, 0, 0) return X exactly (as float32).
    The batch is processed in chunks of images; inside a chunk all (k, 784) source coordinates
    come from one matrix product T @ [x'; y'; 1] and are sampled by `_sample_chunk`.
    """
    X = _as_batch(X, "affine: X")
    m = X.shape[1]
    theta = np.deg2rad(_per_image(angle_deg, m, "affine: angle_deg"))
    s = _per_image(scale, m, "affine: scale")
    if not np.all(s > 0):
        raise ValueError("affine: scale must be > 0 for every image")
    tx = _per_image(dx, m, "affine: dx")
    ty = _per_image(dy, m, "affine: dy")
    h = _per_image(shear, m, "affine: shear")

    c = (SIDE - 1) / 2.0
    cos_s, sin_s = np.cos(theta) / s, np.sin(theta) / s
    T = np.empty((m, 2, 3))
    T[:, 0, 0], T[:, 0, 1] = cos_s + h * sin_s, h * cos_s - sin_s    # x = M00 x' + M01 y' + o_x
    T[:, 1, 0], T[:, 1, 1] = sin_s, cos_s                            # y = M10 x' + M11 y' + o_y
    T[:, 0, 2] = c - (T[:, 0, 0] * (c + tx) + T[:, 0, 1] * (c + ty)) + _PAD
    T[:, 1, 2] = c - (T[:, 1, 0] * (c + tx) + T[:, 1, 1] * (c + ty)) + _PAD
    T = T.astype(np.float32)

    out = np.empty((SIDE * SIDE, m), dtype=np.float32)
    for a in range(0, m, _CHUNK):                  # chunks of images, not single images
        b = min(a + _CHUNK, m)
        out[:, a:b] = _sample_chunk(X[:, a:b], T[a:b] @ _GRID).T   # source (x, y) = T [x'; y'; 1]
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


def _amounts(amount, m, name, low, high):
    """A scalar, (m,) or (784, m) amount -> float32 (1, m) or (784, m), checked to lie in [low, high]."""
    v = np.asarray(amount, dtype=np.float64)
    if v.shape != (SIDE * SIDE, m):
        v = _per_image(v, m, name)[None, :]
    if np.any(v < low) or np.any(v > high):
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}] for every image")
    return v.astype(np.float32)


def stroke(X, amount):
    """Thicker (amount > 0) or thinner (amount < 0) strokes by blending with 3x3 maxima / minima.

    X: (784, m) float in [0, 1]; amount: a scalar, (m,) (one per image) or (784, m) (one per
    pixel: a pen whose width changes along the stroke) in [-1, 2].
        out = X + a (D1 - X)           for 0 <= a <= 1   (a = 1: one 3x3 max, +1 px each side)
        out = D1 + (a - 1) (D2 - D1)   for 1 < a <= 2    (a = 2: a 5x5 max, +2 px each side)
        out = X + |a| (E1 - X)         for a < 0         (a = -1: one 3x3 min, which erases
                                                          strokes under 3 px; keep |a| <= 0.6)
    with D1 = dilate3x3(X), D2 = dilate3x3(D1), E1 = erode3x3(X).
    -> new (784, m) float32 in [0, 1]. amount = 0 returns X.
    """
    X = _as_batch(X, "stroke: X")
    m = X.shape[1]
    amt = _amounts(amount, m, "stroke: amount", -1.0, 2.0)
    thick = np.clip(amt, 0.0, 1.0)                     # weight of D1 - X
    thicker = np.clip(amt - 1.0, 0.0, 1.0)             # weight of D2 - D1
    thin = np.maximum(-amt, 0.0)                       # weight of E1 - X
    twice = bool(np.any(thicker > 0))
    out = np.empty((SIDE * SIDE, m), dtype=np.float32)
    for a in range(0, m, _CHUNK):                  # chunks of images, not single images
        b = min(a + _CHUNK, m)
        cols = slice(a, b)                         # (1, k) or (784, k) amounts
        x = np.ascontiguousarray(X[:, a:b], dtype=np.float32)
        dil, ero = _dilate_erode(x)
        o = x + thick[:, cols] * (dil - x) + thin[:, cols] * (ero - x)
        if twice:
            o += thicker[:, cols] * (_dilate_erode(dil)[0] - dil)
        out[:, a:b] = o
    np.clip(out, 0.0, 1.0, out=out)
    return out


def gaussian_matrix(sigma, n=SIDE):
    """(n, n) Gaussian smoothing along one axis: G[i, j] = exp(-(i - j)^2 / (2 sigma^2)) / (sqrt(2 pi) sigma).

    G @ U @ G.T convolves each (n, n) image U with the 2-D Gaussian of std sigma, zero outside
    (scipy.ndimage.gaussian_filter's mode="constant", untruncated). sigma <= 0: the identity.
    """
    if sigma <= 0:
        return np.eye(n, dtype=np.float32)
    d = np.arange(n)[:, None] - np.arange(n)[None, :]
    return (np.exp(-d * d / (2.0 * sigma * sigma)) / (np.sqrt(2 * np.pi) * sigma)).astype(np.float32)


def smooth_noise(rng, m, sigma, fields=1):
    """m x fields random smooth fields: U ~ U(-1, 1) i.i.d. per pixel, convolved with a Gaussian.

    -> (m, fields, 28, 28) float32,  N = G U G.T  (G = gaussian_matrix(sigma)), as Simard et al.
    (2003) make their displacement fields. Its std is about 1 / (sqrt(12 pi) sigma) away from
    the border (Var U = 1/3, and the 2-D Gaussian's sum of squares is 1 / (4 pi sigma^2)).
    """
    G = gaussian_matrix(sigma)
    U = rng.uniform(-1.0, 1.0, size=(m, fields, SIDE, SIDE)).astype(np.float32)
    return G @ U @ G.T


def elastic(X, dx, dy):
    """Warp every image by its own displacement field, bilinear, zero fill.

    X: (784, m) float in [0, 1]; dx, dy: (m, 28, 28) displacements in px.
    -> new (784, m) float32 in [0, 1]:  out[i, j] = X(i + dy[i, j], j + dx[i, j]),
    sampled bilinearly (`_sample_chunk`). Zero fields return X exactly.
    """
    X = _as_batch(X, "elastic: X")
    m = X.shape[1]
    dx, dy = np.asarray(dx, dtype=np.float32), np.asarray(dy, dtype=np.float32)
    if dx.shape != (m, SIDE, SIDE) or dy.shape != (m, SIDE, SIDE):
        raise ValueError(f"elastic: dx and dy must have shape ({m}, 28, 28), got {dx.shape} and {dy.shape}")
    out = np.empty((SIDE * SIDE, m), dtype=np.float32)
    for a in range(0, m, _CHUNK):                  # chunks of images, not single images
        b = min(a + _CHUNK, m)
        C = np.stack([dx[a:b].reshape(-1, SIDE * SIDE), dy[a:b].reshape(-1, SIDE * SIDE)], axis=1)
        C += _GRID[None, :2] + _PAD                # (k, 2, 784) source (x, y), padded frame
        out[:, a:b] = _sample_chunk(X[:, a:b], C).T
    np.clip(out, 0.0, 1.0, out=out)
    return out


def random_elastic(X, rng, alpha=34.0, sigma=4.0):
    """Elastic distortion of Simard, Steinkraus and Platt (2003), one random field per image.

    X: (784, m) float in [0, 1]; alpha: a scalar or (m,) (0 = no distortion); sigma: the
    smoothing in px (one for the batch).
        (dx, dy) = alpha * G_sigma * U,   U ~ U(-1, 1) per pixel and axis
    (`smooth_noise`), then `elastic`. alpha 34, sigma 4 moves a pixel by about 1.4 px (std),
    and neighbouring pixels alike: strokes bend and wobble the way hands do, but stay strokes.
    -> new (784, m) float32 in [0, 1].
    """
    X = _as_batch(X, "random_elastic: X")
    m = X.shape[1]
    a = _per_image(alpha, m, "random_elastic: alpha").astype(np.float32)[:, None, None, None]
    D = a * smooth_noise(rng, m, sigma, fields=2)
    return elastic(X, D[:, 0], D[:, 1])


def random_pen(X, rng, width=(-0.4, 1.0), vary=0.5, sigma=3.0):
    """A pen of random width that also swells and thins along the stroke (pressure).

    X: (784, m) float in [0, 1]; width: range of each image's mean amount w_k; vary: how far
    it wanders along the stroke; sigma: how long a swell is (px).
        a_k(i, j) = clip(w_k + vary * N_k(i, j) / std(N), -1, 2),   w_k ~ U(width),
    N_k a `smooth_noise` field, then `stroke(X, a)` (per pixel). width (0, 0) and vary 0
    return X exactly.
    -> new (784, m) float32 in [0, 1].
    """
    X = _as_batch(X, "random_pen: X")
    m = X.shape[1]
    w = rng.uniform(width[0], width[1], size=m).astype(np.float32)
    N = smooth_noise(rng, m, sigma)[:, 0].reshape(m, SIDE * SIDE).T       # (784, m)
    scale = vary / (float(N.std()) + 1e-12)
    return stroke(X, np.clip(w[None, :] + scale * N, -1.0, 2.0))


def erase(X, cy, cx, radius):
    """Rub out a disc of every image: a gap in the stroke, as a pen that skips.

    X: (784, m) float in [0, 1]; cy, cx: (m,) disc centres (row, column); radius: a scalar or
    (m,) in px (0 = nothing erased).
        out[i, j] = X[i, j] (1 - clip(radius - d, 0, 1)),   d = |(i, j) - (cy, cx)|
    (fully erased within radius - 1, fading to untouched at radius, like the pad's eraser).
    -> new (784, m) float32 in [0, 1].
    """
    X = _as_batch(X, "erase: X")
    m = X.shape[1]
    r = _per_image(radius, m, "erase: radius").astype(np.float32)
    cy = _per_image(cy, m, "erase: cy").astype(np.float32)
    cx = _per_image(cx, m, "erase: cx").astype(np.float32)
    d = np.hypot(_GRID[1][:, None] - cy[None, :], _GRID[0][:, None] - cx[None, :])   # (784, m)
    return (X * (1.0 - np.clip(r[None, :] - d, 0.0, 1.0))).astype(np.float32)


def random_erase(X, rng, p=0.3, radius=(1.5, 2.5)):
    """With probability p an image loses a short piece of stroke: a disc of radius ~ U(radius)
    centred on an ink pixel drawn with probability proportional to its ink,
        P(centre = pixel q) = X[q, k] / sum_q X[q, k]
    (inverse CDF on the column's cumulative ink, so the gap falls on a stroke, not on paper).
    p = 0 returns X exactly. -> new (784, m) float32 in [0, 1].
    """
    X = _as_batch(X, "random_erase: X")
    m = X.shape[1]
    cum = np.cumsum(X, axis=0, dtype=np.float64)                  # (784, m)
    u = rng.uniform(0.0, 1.0, size=m) * cum[-1]
    q = np.minimum((cum < u[None, :]).sum(axis=0), SIDE * SIDE - 1)  # first pixel with cum >= u
    r = np.where(rng.uniform(size=m) < p, rng.uniform(radius[0], radius[1], size=m), 0.0)
    return erase(X, q // SIDE, q % SIDE, r)


def coarse(X, n, pen=1.0):
    """The digit as drawn small on a coarse grid, then scaled back up (what mnistify does to it).

    X: (784, m) float in [0, 1]; n: grid side (1..28; 28 = unchanged resolution); pen: a
    scalar or (m,) in [0, 1], the extra width of the pen on the coarse grid (a brush keeps its width in cells,
    so a small digit gets fat strokes).
        small = R_n X R_n.T         (area averaging to n x n, fnn.digits.preprocess's _area_matrix)
        small = stroke(small / max(small), pen)   (on the n x n grid: +pen cells a side)
        out   = R'_n small R'_n.T   (area resize back to 28 x 28: blocky, as mnistify's upscaling)
    n = 28 with pen = 0 returns X (up to float rounding). -> new (784, m) float32 in [0, 1].
    """
    from fnn.digits.preprocess import _area_matrix
    X = _as_batch(X, "coarse: X")
    m = X.shape[1]
    n = int(n)
    if not 1 <= n <= SIDE:
        raise ValueError(f"coarse: n must lie in [1, 28], got {n}")
    down = _area_matrix(SIDE, n).astype(np.float32)               # (n, 28)
    up = _area_matrix(n, SIDE).astype(np.float32)                 # (28, n)
    imgs = X.T.reshape(m, SIDE, SIDE).astype(np.float32)
    small = down @ imgs @ down.T                                  # (m, n, n)
    small /= np.maximum(small.max(axis=(1, 2), keepdims=True), 1e-6)
    if np.any(pen) and n >= 3:
        P = np.zeros((m, SIDE, SIDE), dtype=np.float32)           # stroke works on 28 x 28
        P[:, :n, :n] = small
        P = stroke(P.reshape(m, -1).T, pen).T.reshape(m, SIDE, SIDE)
        small = P[:, :n, :n]
    out = (up @ small @ up.T).reshape(m, -1).T
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def random_coarse(X, rng, p=0.15, sizes=(10, 18), pen=(0.0, 0.6)):
    """With probability p an image is redrawn on a coarse grid of side n ~ U{sizes} with a pen
    ~ U(pen) (`coarse`; one call per distinct n, not per image). p = 0 returns X.
    -> new (784, m) float32 in [0, 1]."""
    X = _as_batch(X, "random_coarse: X")
    m = X.shape[1]
    out = np.array(X, dtype=np.float32)
    n = rng.integers(sizes[0], sizes[1] + 1, size=m)
    w = rng.uniform(pen[0], pen[1], size=m)
    chosen = rng.uniform(size=m) < p
    for side in np.unique(n[chosen]):              # a few grid sizes, not images
        k = np.flatnonzero(chosen & (n == side))
        out[:, k] = coarse(X[:, k], side, w[k])
    return out


def segment(y0, x0, y1, x1, radius):
    """The ink of one soft pen stroke per image, as the pad's brush lays it (draw.paint).

    y0, x0, y1, x1, radius: (m,) arrays, the segment's ends in pixel coordinates (row, column).
    -> (784, m) float32:  f = clip(radius - d, 0, 1),  d = distance from the pixel to the segment,
    d = |p - (a + t (b - a))|,  t = clip((p - a) . (b - a) / |b - a|^2, 0, 1).
    """
    py, px = _GRID[1][:, None], _GRID[0][:, None]                 # (784, 1)
    uy, ux = (y1 - y0)[None, :], (x1 - x0)[None, :]
    L2 = np.maximum(uy * uy + ux * ux, 1e-12)
    t = np.clip(((py - y0[None, :]) * uy + (px - x0[None, :]) * ux) / L2, 0.0, 1.0)
    d = np.hypot(py - (y0[None, :] + t * uy), px - (x0[None, :] + t * ux))
    return np.clip(radius[None, :] - d, 0.0, 1.0).astype(np.float32)


def flag_ones(X, y, rng, p=0.5, base=0.4, flag=(0.2, 0.4), angle=(20.0, 55.0)):
    """Give a fraction of the 1s the flag (and some the base) that many writers draw.

    X: (784, m) float in [0, 1]; y: (m,) labels. Each 1 is chosen with probability p. With
    its ink's top row i_t and bottom row i_b (rows with ink > 0.3), height h = i_b - i_t, the
    ink-weighted column x_t of the top row (x_b of the bottom one) and a pen radius
    r = clip(w / 2 + 0.5, 1, 2.5), w = total ink / h (a stroke's width), it gets
        a flag: a stroke from (i_t, x_t) down-left to (i_t + l sin a, x_t - l cos a),
                l ~ U(flag) h, a ~ U(angle) degrees below the horizontal,
        a base (probability `base`): from (i_b, x_b - c) to (i_b, x_b + c), c ~ U(0.15, 0.3) h,
    laid down as out = max(X, segment(...)). p = 0 returns X. -> new (784, m) float32.
    """
    X = _as_batch(X, "flag_ones: X")
    out = np.array(X, dtype=np.float32)
    m = X.shape[1]
    k = np.flatnonzero((np.asarray(y) == 1) & (rng.uniform(size=m) < p))
    if k.size == 0:
        return out
    imgs = out[:, k].T.reshape(-1, SIDE, SIDE)                  # (n, 28, 28)
    rows = (imgs > 0.3).any(axis=2)                              # (n, 28)
    inked = rows.any(axis=1)
    k, imgs, rows = k[inked], imgs[inked], rows[inked]
    n = k.size
    top = rows.argmax(axis=1)
    bot = SIDE - 1 - rows[:, ::-1].argmax(axis=1)
    h = np.maximum(bot - top, 1).astype(np.float32)
    cols = np.arange(SIDE, dtype=np.float32)
    x_at = lambda r: (imgs[np.arange(n), r] @ cols) / np.maximum(imgs[np.arange(n), r].sum(axis=1), 1e-6)
    xt, xb = x_at(top), x_at(bot)
    r = np.clip(imgs.sum(axis=(1, 2)) / h / 2 + 0.5, 1.0, 2.5).astype(np.float32)
    a = np.deg2rad(rng.uniform(angle[0], angle[1], size=n))
    ln = rng.uniform(flag[0], flag[1], size=n) * h
    ink = segment(top.astype(np.float32), xt, top + ln * np.sin(a), xt - ln * np.cos(a), r)
    c = rng.uniform(0.15, 0.3, size=n) * h
    has_base = rng.uniform(size=n) < base
    based = segment(bot.astype(np.float32), xb - c, bot.astype(np.float32), xb + c, r)
    ink = np.maximum(ink, based * has_base[None, :])
    out[:, k] = np.maximum(out[:, k], ink)
    return out


def writers(X, rng, y=None):
    """The augmentation of the shipped model: how other people write, all at once, per image.

        flag_ones (p 0.5, base 0.4; only with labels y)  1s with a flag and a base
        random_elastic (alpha ~ U(0, 24), sigma 4)       strokes that bend and wobble
        affine (shift <= 2 px, rotate <= 12 degrees,     position, size, angle and slant
                scale 0.85-1.15, shear ~ U(-0.3, 0.3))
        random_pen (mean width -0.3 .. 1, vary 0.3)      pen width and pressure
        random_erase (p 0.15)                            the pen skips
        random_coarse (p 0.08, grids 12-20, pen 0-0.5)   small digits on a coarse grid
    X: (784, m) float in [0, 1]; y: (m,) labels or None -> new (784, m) float32 in [0, 1].
    """
    X = _as_batch(X, "writers: X")
    m = X.shape[1]
    if y is not None:
        X = flag_ones(X, y, rng)
    X = random_elastic(X, rng, alpha=rng.uniform(0.0, 24.0, size=m))
    X = affine(X, rng.uniform(-12, 12, m), rng.uniform(0.85, 1.15, m), rng.uniform(-2, 2, m),
               rng.uniform(-2, 2, m), shear=rng.uniform(-0.3, 0.3, m))
    X = random_pen(X, rng, width=(-0.3, 1.0), vary=0.3)
    X = random_erase(X, rng, p=0.15)
    return random_coarse(X, rng, p=0.08, sizes=(12, 20), pen=(0.0, 0.5))


# train.py --augment NAME: augment(X (784, b), rng, y (b,) labels) -> the augmented batch
AUGMENTATIONS = {"affine": lambda X, rng, y: random_affine(X, rng),
                 "elastic": lambda X, rng, y: random_elastic(X, rng),
                 "writers": writers}
