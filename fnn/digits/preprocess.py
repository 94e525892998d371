"""Image preprocessing: make a drawn or scanned digit look like an MNIST digit.

MNIST digits were made from NIST scans in three steps (LeCun et al., 1998):

1. crop the ink to its bounding box and scale it, keeping the aspect ratio, so that its
   LONGER side is 20 px (anti-aliased, i.e. area averaging);
2. paste the 20x20-or-thinner box into a 28x28 field;
3. translate it by a whole number of pixels so that the ink's centre of mass sits at the
   centre of the field.

`mnistify` repeats exactly that, so a digit drawn on the pygame pad (or photographed) is fed
to the network in the form the network was trained on.

Conventions
-----------
* A 2-D image is an (H, W) array indexed [row, col]; pixel [i, j] has coordinates (y, x) = (i, j),
  i.e. its centre, 0-based.
* Ink intensity is a float in [0, 1]: 0 is background, 1 full ink (MNIST's white-on-black).
* Centre-of-mass target: MNIST's centre of mass is at (size/2, size/2) = (14, 14), NOT at the
  geometric centre 13.5 of a 28-pixel axis. Over the first 1,000 MNIST test digits
  (tests/test_preprocess.py::test_mnist_com_convention): mean COM (row, col) = (13.99, 14.01),
  std 0.29 on each axis -- the std of a uniform error on [-0.5, 0.5], i.e. MNIST rounded the
  COM shift to whole pixels. `mnistify` does the same, so its output's COM lies within 0.5 px
  of (14, 14).

Nothing here loops over pixels: resizing is two matrix products, placing the digit a slice.
"""

import numpy as np

INK_THRESHOLD = 0.05        # intensity above which a pixel counts as ink (crop box, empty canvas)


def _check_2d(image, name="image"):
    """Return `image` as a float64 2-D array, or raise ValueError saying what was wrong."""
    a = np.asarray(image)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (H, W) array, got shape {a.shape}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{name} must have at least one row and one column, got shape {a.shape}")
    return a.astype(np.float64, copy=False)


def _area_matrix(n_in, n_out):
    """(n_out, n_in) area-overlap weights for resizing one axis from n_in to n_out pixels.

    Output pixel i covers the input interval [i * n_in/n_out, (i+1) * n_in/n_out); input pixel j
    covers [j, j+1). R[i, j] = |overlap| / (n_in/n_out), so every row sums to 1 (a weighted
    average) and every column sums to n_out/n_in (each input pixel's area is handed out in full).
    """
    edges = np.arange(n_out + 1, dtype=np.float64) * (n_in / n_out)    # (n_out+1,)
    lo, hi = edges[:-1, None], edges[1:, None]                           # (n_out, 1)
    j = np.arange(n_in, dtype=np.float64)[None, :]                      # (1, n_in)
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0.0, None)
    return overlap / (n_in / n_out)


def resize_area(image, out_h, out_w):
    """Area-averaging resize of a 2-D array: (H, W) -> (out_h, out_w), float64.

    out = R_h @ image @ R_w.T, where R_h (out_h, H) and R_w (out_w, W) hold the overlap of each
    output pixel's footprint with each input pixel, normalised by the footprint's area. Each
    output pixel is therefore the mean of the input over its footprint. Consequences:

    * mean intensity is preserved exactly (columns of R sum to out/in);
    * downsampling by an integer factor k gives the k x k block means;
    * same size is the identity;
    * upsampling replicates pixels, blending the two neighbours where a footprint straddles an
      input pixel boundary.
    """
    a = _check_2d(image)
    out_h, out_w = int(out_h), int(out_w)
    if out_h < 1 or out_w < 1:
        raise ValueError(f"resize_area: output size must be at least 1x1, got {out_h}x{out_w}")
    R_h = _area_matrix(a.shape[0], out_h)
    R_w = _area_matrix(a.shape[1], out_w)
    return R_h @ a @ R_w.T


def _crop_to_ink(a, threshold):
    """The bounding box of the pixels of `a` above `threshold`, as a view of `a`; None when no
    pixel is above it. Shared by mnistify and even_out_strokes."""
    ink = a > threshold
    if not ink.any():
        return None
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return a[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _resize_longer_side(a, n):
    """Area-resize a 2-D array, keeping its aspect ratio, so that its longer side is n px.

    With L = max(h, w), each side becomes side * n / L rounded half up, at least 1 px, computed
    in integers as floor((2 side n + L) / (2 L)), so that an exact half (a 1x8 crop scaled to
    20 px is 2.5 px high: 3 px) is never a float's ulp away from its neighbours.
    """
    h, w = a.shape
    L = max(h, w)
    nh, nw = (max(1, (2 * side * n + L) // (2 * L)) for side in (h, w))
    return resize_area(a, nh, nw)


def center_of_mass(image):
    """Intensity-weighted centre of a 2-D image: (H, W) -> (cy, cx) floats, 0-based pixel coords.

    cy = sum_ij i * I[i, j] / sum_ij I[i, j],  cx = sum_ij j * I[i, j] / sum_ij I[i, j].
    Negative values count as zero. An image with no positive mass returns the geometric centre
    ((H-1)/2, (W-1)/2) instead of NaN.
    """
    a = np.clip(_check_2d(image), 0.0, None)
    total = a.sum()
    if not total > 0:
        return (a.shape[0] - 1) / 2.0, (a.shape[1] - 1) / 2.0
    rows = a.sum(axis=1)                      # (H,) mass per row
    cols = a.sum(axis=0)                      # (W,) mass per column
    cy = float(rows @ np.arange(a.shape[0]) / total)
    cx = float(cols @ np.arange(a.shape[1]) / total)
    return cy, cx


def mnistify(image, box=20, size=28, threshold=INK_THRESHOLD):
    """Turn an ink image of any size into an MNIST-style digit.

    image: 2-D float array (H, W) of ink intensity in [0, 1] (e.g. the pad's 28x28 grid or a
    200x300 scan already passed through `to_ink`).
    -> (size*size,) float32 in [0, 1], row-major, ready to be one column of X.

    Steps (as MNIST was built):
    1. bounding box of the pixels with intensity > threshold; crop to it;
    2. area-resize the crop so its longer side is `box` px, keeping the aspect ratio
       (h', w') = (h * box / L, w * box / L), L = max(h, w), each rounded half up and at
       least 1 px;
    3. place it in a size x size field at the whole-pixel offset that puts its centre of mass
       nearest (size/2, size/2) -- (14, 14) for MNIST, see the module docstring. If that would
       push part of the box out of the field (a very lopsided digit), the offset is clamped so
       the whole box stays inside, i.e. no ink is ever cut off.
    4. clip to [0, 1].

    An image with no ink (max <= threshold) returns all zeros. One-pixel and full images work.
    """
    a = np.nan_to_num(np.clip(_check_2d(image), 0.0, 1.0))
    size, box = int(size), int(box)
    if not 1 <= box <= size:
        raise ValueError(f"mnistify: need 1 <= box <= size, got box={box}, size={size}")
    field = np.zeros((size, size), dtype=np.float64)
    crop = _crop_to_ink(a, threshold)                                 # (h, w)
    if crop is None:
        return field.ravel().astype(np.float32)

    digit = _resize_longer_side(crop, box)              # (nh, nw), longer side = box
    nh, nw = digit.shape

    cy, cx = center_of_mass(digit)
    top = int(np.floor(size / 2.0 - cy + 0.5))                         # whole-pixel COM shift
    left = int(np.floor(size / 2.0 - cx + 0.5))
    top = min(max(top, 0), size - nh)                                  # keep all ink inside
    left = min(max(left, 0), size - nw)
    field[top:top + nh, left:left + nw] = digit
    return np.clip(field, 0.0, 1.0).ravel().astype(np.float32)


def brightness(rgb_or_gray, caller="brightness"):
    """(H, W) grey or (H, W, 3|4) colour, uint8 (0..255) or float (0..1, or 0..255 if its max
    exceeds 1) -> (H, W) float64 brightness v = 0.299 R + 0.587 G + 0.114 B (ITU-R 601 luma)
    in [0, 1]. Alpha is ignored. A bad shape raises ValueError naming `caller`."""
    a = np.asarray(rgb_or_gray)
    if a.ndim == 3 and a.shape[2] in (3, 4):
        x = a[..., :3].astype(np.float64)
        v = x @ np.array([0.299, 0.587, 0.114])
    elif a.ndim == 3 and a.shape[2] == 1:
        v = a[..., 0].astype(np.float64)
    elif a.ndim == 2:
        v = a.astype(np.float64)
    else:
        raise ValueError(
            f"{caller}: expected an (H, W) grey or (H, W, 3|4) colour image, got shape {a.shape}")
    if v.size == 0:
        raise ValueError(f"{caller}: image is empty, shape {a.shape}")
    if np.issubdtype(a.dtype, np.integer) or np.nanmax(v) > 1.0:
        v = v / 255.0
    v = np.clip(np.nan_to_num(v), 0.0, 1.0)

    return v


def to_ink(rgb_or_gray, invert="auto"):
    """Convert a photo / scan / screenshot to ink intensity in [0, 1].

    rgb_or_gray: (H, W), (H, W, 3) or (H, W, 4) array, uint8 (0..255) or float (0..1, or
    0..255 if its max exceeds 1). Alpha is ignored. A pygame surface gives (W, H, 3) from
    pygame.surfarray.array3d -- transpose it to (H, W, 3) first.
    invert: "auto", True or False. True means the picture is dark ink on a light background.
    -> (H, W) float64 ink in [0, 1]: 0 background, 1 the strongest ink.

    1. brightness v = 0.299 R + 0.587 G + 0.114 B (ITU-R 601 luma) in [0, 1];
    2. ink = 1 - v if inverting, else v. "auto" inverts when the median brightness of the
       border pixels (the paper, in almost any scan) is above 0.5;
    3. contrast stretch: background level b = median of the border's ink, noise floor
       f = b + 3 * 1.4826 * MAD(border ink) (3 robust standard deviations of paper texture),
       peak p = max ink; ink = clip((ink - f) / (p - f), 0, 1). So grey paper becomes 0 and
       the darkest stroke 1. A blank (constant) picture gives all zeros.
    """
    v = brightness(rgb_or_gray, "to_ink")
    border = np.concatenate([v[0, :], v[-1, :], v[:, 0], v[:, -1]])
    if invert == "auto":
        invert = bool(np.median(border) > 0.5)
    elif invert not in (True, False):
        raise ValueError(f"to_ink: invert must be 'auto', True or False, got {invert!r}")
    ink = 1.0 - v if invert else v
    border_ink = 1.0 - border if invert else border

    b = np.median(border_ink)
    floor = b + 3.0 * 1.4826 * np.median(np.abs(border_ink - b))
    peak = ink.max()
    if not peak - floor > 1e-6:
        return np.zeros_like(ink)
    return np.clip((ink - floor) / (peak - floor), 0.0, 1.0)


def even_out_strokes(ink, box=20, work=80, target=2.0, threshold=INK_THRESHOLD):
    """Give a large picture's strokes the width MNIST's have once mnistify shrinks it.

    A pen line 3 px wide in a 300 px scan would be 0.2 px wide -- a faint trace -- after the
    digit is scaled to 20 px; MNIST strokes are about 2 px wide. So: crop to the ink; if the
    crop is longer than `work` px, area-resize it to `work` px (longer side) and stretch its
    contrast back to a peak of 1; estimate the stroke width w = 2 * area / boundary of the
    ink (a stroke of width w and length l has area w l and about 2 l boundary pixels); if
    w * (box / L) < target, widen the strokes by k = ceil(target * L / box - w) px with a
    (k+1) x (k+1) max filter. A picture whose ink crop is no larger than `box` px (longer
    side) comes back only cropped to the ink: not resized, strokes not widened. A picture
    with no ink comes back whole, as float64.
    ink (H, W) in [0, 1] -> (h, w) in [0, 1] (cropped, maybe resized).
    """
    full = np.asarray(ink, dtype=np.float64)
    a = _crop_to_ink(full, threshold)
    if a is None:
        return full
    L = max(a.shape)
    if L <= box:
        return a
    if L > work:
        a = _resize_longer_side(a, work)
        a = a / a.max()
        L = max(a.shape)
    b = np.pad(a > 0.5, 1)
    area = b.sum()
    if area == 0:
        return a
    inner = b[1:-1, 1:-1] & b[:-2, 1:-1] & b[2:, 1:-1] & b[1:-1, :-2] & b[1:-1, 2:]
    width = 2.0 * area / max(area - inner.sum(), 1)
    k = int(np.ceil(target * L / box - width))
    if k <= 0:
        return a
    p = np.pad(a, ((k // 2, k - k // 2),) * 2)
    win = np.lib.stride_tricks.sliding_window_view
    return win(win(p, k + 1, axis=0).max(axis=-1), k + 1, axis=1).max(axis=-1)
