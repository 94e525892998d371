"""Photos of digits on paper: find the ink under uneven light, as document scanners do.

A phone photo of a digit on paper is not a scan: the paper is darker in the corners
(vignetting), a shadow edge may cross it, the light comes from one side, the page may be
ruled, and the sensor adds noise. `to_ink` (fnn.digits.preprocess) takes the paper's level
from the border, so there dark corners become ink and a varying border removes all ink.
`photo_to_ink` instead

1. takes the brightness v (ITU-R 601 luma), block-averaged down to at most MAX_SIDE px on
   the longer side, a band of rows at a time (memory bounded by the working image, not the photo);
2. if the border is evenly lit (its 5th..95th percentile spread < EVEN), the picture is a
   scan or a screenshot: `to_ink` as before, exactly;
3. else tells dark ink from light ink by which side of each block's median the extremes lie
   (dark_ink), estimates the paper under its light, B = closing(v) (a max filter then a min
   filter over a window wider than a stroke: dark strokes vanish, a shadow's straight edge
   stays where it is), and divides it out: t = 1 - v / B, 0 on paper, towards 1 on ink;
4. thresholds t at Otsu's level (no lower than the noise floor and MIN_CONTRAST), so a blank
   page has no ink;
5. removes ruled lines (thin runs across most of the page) and keeps the digit: the connected
   ink nearest the centre weighted by size, and the pieces near it; specks go.
-> (h, w) float64 ink in [0, 1] at the working resolution, ready for even_out_strokes and mnistify.

Everything is whole-array NumPy: filters are O(log k) passes of np.maximum over shifted
slices; connected components merge whole regions a pass (hooking and pointer jumping), a
bounded number of whole-image passes.
"""
import numpy as np

from fnn.digits.preprocess import to_ink

MAX_SIDE = 480            # working resolution (longer side, px) of a photo
EVEN = 0.12               # border brightness spread (p95 - p5) below which the light is even
MIN_CONTRAST = 0.15       # ink is at least this much darker than its paper (t = 1 - v / B)
_LUMA = (0.299, 0.587, 0.114)


def luma(image, max_side=MAX_SIDE, chunk=1 << 18):
    """(H, W[, C]) uint8 or float image -> (h, w) float32 brightness in [0, 1], block-averaged by
    an integer factor k = ceil(max(H, W) / max_side) (k x k block means; the last partial
    blocks dropped). Computed a band of about `chunk` pixels (whole blocks of k rows) at a
    time, so the float copies stay small whatever the photo's size."""
    a = np.asarray(image)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)) or a.size == 0:
        raise ValueError(f"photo_to_ink: expected an (H, W) grey or (H, W, 3|4) colour image, "
                         f"got shape {a.shape}")
    scale = 255.0 if np.issubdtype(a.dtype, np.integer) or np.nanmax(a) > 1.0 else 1.0
    k = max(1, -(-max(a.shape[:2]) // max_side))
    H, W = (a.shape[0] // k) * k, (a.shape[1] // k) * k
    if H == 0 or W == 0:
        k, H, W = 1, a.shape[0], a.shape[1]
    out, band = [], max(k, chunk // W // k * k)
    for r in range(0, H, band):                           # bands of rows, not pixels
        c = a[r:min(r + band, H), :W].astype(np.float32)
        if c.ndim == 3:
            c = c[..., 0] if c.shape[2] == 1 else c[..., :3] @ np.array(_LUMA, np.float32)
        out.append(c.reshape(c.shape[0] // k, k, W // k, k).mean(axis=(1, 3)))
    return np.clip(np.nan_to_num(np.concatenate(out) / scale), 0.0, 1.0)


def max_filter(a, k, axis):
    """Running max over a centred window of k (odd; an even k is taken as k + 1) along `axis`,
    the array mirrored at its ends: m[i] = max(a[i - k//2 .. i + k//2]). Windows double (w -> 2w: max(m[i], m[i + w])) until
    w > k/2, then two overlapping windows of w cover k: O(log k) passes."""
    k = int(k) | 1
    if k <= 1:
        return a
    a = np.moveaxis(a, axis, 0)
    n = a.shape[0]
    m = np.pad(a, [(k // 2, k // 2)] + [(0, 0)] * (a.ndim - 1), mode="symmetric")
    w = 1
    while 2 * w <= k:
        m = np.maximum(m[:-w], m[w:])                     # m[i] = max p[i : i + 2w]
        w *= 2
    return np.moveaxis(np.maximum(m[:n], m[k - w:k - w + n]), 0, axis)


def min_filter(a, k, axis):
    """Running min over a centred window of k along `axis` (max_filter of the negation; for
    booleans, of the complement)."""
    if a.dtype == bool:
        return ~max_filter(~a, k, axis)
    return -max_filter(-a, k, axis)


def closing(v, k):
    """Grey closing with a k x k square: the k x k min of the k x k max. Removes dark
    features narrower than k (strokes) and keeps larger ones and straight edges."""
    big = max_filter(max_filter(v, k, 0), k, 1)
    return min_filter(min_filter(big, k, 0), k, 1)


def opening(mask, k, axis):
    """Pixels of `mask` lying in a run of at least k along `axis` (a 1 x k opening)."""
    return max_filter(min_filter(mask, k, axis), k, axis)


def otsu(t, bins=256):
    """Otsu's threshold of values in [0, 1]: the level maximising the between-class variance
    w0 w1 (mu0 - mu1)^2 of a `bins`-bin histogram (cumulative sums, no loop)."""
    h = np.bincount(np.clip((t.ravel() * bins).astype(np.intp), 0, bins - 1), minlength=bins)
    p = h / h.sum()
    c = (np.arange(bins) + 0.5) / bins
    w0 = np.cumsum(p)
    m0 = np.cumsum(p * c)
    w1 = 1.0 - w0
    between = (m0[-1] * w0 - m0) ** 2 / np.maximum(w0 * w1, 1e-12)
    return float((np.argmax(between[:-1]) + 1) / bins)


def label(mask, max_iter=64):
    """Connected components (8-neighbours) of a boolean (H, W) mask -> (H, W) int labels,
    0 = background, 1..n the components (n = labels.max()).

    Every ink pixel starts as its own region, named by its flat index. Each pass, every region
    hooks onto the smallest name found in its pixels' 3 x 3 neighbourhoods
    (parent[r] = min(r, neighbours' names), np.minimum.at), and the parent pointers are jumped
    (parent = parent[parent]) until each points at its root: whole regions merge at once, so
    a few passes do (Shiloach-Vishkin). Stops when a pass changes nothing, or after max_iter
    passes (a component may then keep two names)."""
    H, W = mask.shape
    n = H * W
    ink = np.flatnonzero(mask.ravel())
    lab = np.full(n, n)
    lab[ink] = ink
    for _ in range(max_iter):
        P = np.pad(lab.reshape(H, W), 1, constant_values=n)
        m = P[1:-1, 1:-1].copy()
        for dy in range(3):                                # the 9 shifted views, not pixels
            for dx in range(3):
                np.minimum(m, P[dy:dy + H, dx:dx + W], out=m)
        parent = np.arange(n + 1)
        np.minimum.at(parent, lab[ink], m.ravel()[ink])
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
        new = parent[lab]
        if np.array_equal(new, lab):
            break
        lab = new
    _, out = np.unique(np.append(lab, n), return_inverse=True)   # n (background) sorts last
    out = out[:-1] + 1
    out[lab == n] = 0
    return out.reshape(H, W)


def label_coarse(mask, most=60000):
    """label() of a big mask on its 2 x 2 blocks (a block is ink if any of its pixels is), each
    pixel taking its block's label: 4 times fewer pixels to propagate over; ink closer than a
    pixel may join. Masks of at most `most` pixels are labelled as they are."""
    H, W = mask.shape
    if H * W <= most:
        return label(mask)
    m = np.pad(mask, ((0, H % 2), (0, W % 2)))
    blocks = m.reshape(m.shape[0] // 2, 2, m.shape[1] // 2, 2).any(axis=(1, 3))
    lab = np.repeat(np.repeat(label(blocks), 2, axis=0), 2, axis=1)[:H, :W]
    return np.where(mask, lab, 0)


def _boxes(lab):
    """Per component 1..n of a label image: sizes, centroids (cy, cx) and boxes
    (top, bottom, left, right), each an (n,) array (np.bincount, minimum.at / maximum.at)."""
    n = int(lab.max())
    ys, xs = np.nonzero(lab)
    k = lab[ys, xs] - 1
    size = np.bincount(k, minlength=n).astype(np.float64)
    cy = np.bincount(k, ys, minlength=n) / np.maximum(size, 1)
    cx = np.bincount(k, xs, minlength=n) / np.maximum(size, 1)
    top, left = np.full(n, lab.shape[0]), np.full(n, lab.shape[1])
    bottom, right = np.full(n, -1), np.full(n, -1)
    np.minimum.at(top, k, ys)
    np.maximum.at(bottom, k, ys)
    np.minimum.at(left, k, xs)
    np.maximum.at(right, k, xs)
    return size, cy, cx, top, bottom, left, right


def remove_lines(mask, thick=None, span=0.5):
    """Ruled lines out of an ink mask: long, thin, nearly straight components running across
    the page. -> a new boolean mask.

    For horizontal lines (vertical ones alike, transposed): the candidates are the pixels in a
    vertical run shorter than `thick` (thin across); their gaps along the row up to 5 px are
    bridged (noise), and runs of at least 3 `thick` along it kept (not a steep stroke); these
    runs, joined along the row over gaps up to 4 `thick` (where a stroke crosses the line), are
    labelled. A component reaching across at least `span` of the width and less than 15 % of
    the height high is a ruled line: its runs' pixels, and thin mask pixels next to them, go.
    A stroke crossing a line is thick across it and stays."""
    H, W = mask.shape
    thick = thick or max(3, round(0.015 * max(H, W)))
    out = mask.copy()
    for along, across, length, height in ((1, 0, W, H), (0, 1, H, W)):
        thin = mask & ~opening(mask, thick, across)
        bridged = min_filter(max_filter(thin, 5, along), 5, along)
        runs = opening(bridged, 3 * thick, along)
        if not runs.any():
            continue
        lab = label_coarse(min_filter(max_filter(runs, 4 * thick, along), 4 * thick, along) | runs)
        _, _, _, top, bottom, left, right = _boxes(lab)
        ext_along = (right - left if along == 1 else bottom - top) + 1
        ext_across = (bottom - top if along == 1 else right - left) + 1
        is_line = (ext_along >= span * length) & (ext_across < 0.15 * height)
        line = runs & np.append(False, is_line)[lab]
        out &= ~(max_filter(line, 3, across) & thin)
    return out


def keep_digit(mask, near=0.3, min_part=0.03, least=4e-4):
    """The digit's ink out of a mask with specks and stray marks -> a new boolean mask.

    Only components that do not touch the picture's edge (the page's edge, a shadow's end)
    and cover at least `least` of the picture can be the digit; with none, the mask is blank.
    The main component is the one with the largest size / (1 + (d / (0.3 diagonal))^2), d its
    centroid's distance from the centre (people photograph the digit in the middle). Others
    are kept when they are at least `min_part` of its size (not specks) and lie within `near`
    x its longer side of the kept box (two rounds: a broken stroke's pieces in turn)."""
    lab = label_coarse(mask)
    if lab.max() == 0:
        return mask
    size, cy, cx, top, bottom, left, right = _boxes(lab)
    H, W = mask.shape
    d = np.hypot(cy - (H - 1) / 2, cx - (W - 1) / 2) / (0.3 * np.hypot(H, W))
    inside = (top > 0) & (left > 0) & (bottom < H - 1) & (right < W - 1) & (size >= least * H * W)
    if not inside.any():
        return np.zeros_like(mask)
    main = int(np.argmax(np.where(inside, size / (1 + d * d), -1.0)))
    keep = np.zeros(size.size, bool)
    keep[main] = True
    gap = near * max(bottom[main] - top[main], right[main] - left[main], 1)
    candidates = (size >= min_part * size[main]) & inside
    for _ in range(2):
        box = top[keep].min(), bottom[keep].max(), left[keep].min(), right[keep].max()
        dy = np.maximum(0, np.maximum(top - box[1], box[0] - bottom))
        dx = np.maximum(0, np.maximum(left - box[3], box[2] - right))
        keep |= candidates & (dy <= gap) & (dx <= gap)
    return np.append(False, keep)[lab]


def _even(v):
    """True when the border of the brightness v is evenly lit: its 5th..95th percentile
    spread is below EVEN (a scan, a screenshot; not a photo of paper)."""
    p5, p95 = np.percentile(np.concatenate([v[0], v[-1], v[:, 0], v[:, -1]]), [5, 95])
    return bool(p95 - p5 < EVEN)


def evenly_lit(image, max_side=MAX_SIDE):
    """True when photo_to_ink(image) is to_ink(image): the picture's border is evenly lit."""
    return _even(luma(image, max_side))


def dark_ink(v, grid=8):
    """True when the ink is darker than the paper. v (H, W) is cut into grid x grid blocks; in
    each block the paper is the median m, and ink lies far on one side of it:
        dark  = sum over blocks of (m - p2),   light = sum over blocks of (p98 - m)
    (p2, p98 the block's 2nd and 98th percentiles). A block of plain paper adds noise to both
    sides, a shadow edge about as much to both; only ink adds to one side."""
    bh, bw = max(1, v.shape[0] // grid), max(1, v.shape[1] // grid)
    b = v[:bh * (v.shape[0] // bh), :bw * (v.shape[1] // bw)]
    b = b.reshape(b.shape[0] // bh, bh, -1, bw).transpose(0, 2, 1, 3).reshape(-1, bh * bw)
    p2, m, p98 = np.percentile(b, [2, 50, 98], axis=1)
    return bool(np.sum(m - p2) >= np.sum(p98 - m))


def photo_to_ink(image, max_side=MAX_SIDE, invert="auto"):
    """A photo (or scan) of a digit -> (h, w) float64 ink in [0, 1]; see the module docstring.

    image: (H, W) grey or (H, W, 3|4) colour, uint8 or float. invert: "auto", True (dark ink
    on light paper) or False (light ink on a dark ground). An evenly lit picture goes to
    `to_ink` unchanged (same result, full resolution); otherwise:
        B = closing(v, k),  k = max(9, longer side / 8)     (the paper under its light;
                                                            v smoothed by a 3 x 3 mean)
        t = clip(1 - v / B, 0, 1)                           (how much darker than its paper)
        ink where t > max(otsu(t), median t + 6 MAD-sigma, MIN_CONTRAST),
    ruled lines and specks removed, ink = clip((t - thr / 2) / (p90 - thr / 2), 0, 1) on the
    kept pixels and their 3 x 3 neighbours (soft edges), p90 the 90th percentile of t on ink.
    Light ink on a dark ground is handled as 1 - v. A blank page gives all zeros.
    """
    if invert not in ("auto", True, False):
        raise ValueError(f"photo_to_ink: invert must be 'auto', True or False, got {invert!r}")
    v = luma(image, max_side)
    H, W = v.shape
    if _even(v):
        return to_ink(image, invert)
    if invert == "auto":
        invert = dark_ink(v)
    if not invert:
        v = 1.0 - v
    k = max(9, max(H, W) // 8)
    P = np.pad(v, 1, mode="edge")
    smooth = sum(P[dy:dy + H, dx:dx + W] for dy in range(3) for dx in range(3)) / 9.0
    B = closing(smooth, k)
    t = np.clip(1.0 - smooth / np.maximum(B, 1e-3), 0.0, 1.0)
    med = np.median(t)
    sigma = 1.4826 * np.median(np.abs(t - med))
    thr = max(otsu(t), med + 6 * sigma, MIN_CONTRAST)
    mask = t > thr
    if not mask.any():
        return np.zeros((H, W))
    mask = keep_digit(remove_lines(mask))
    if not mask.any():
        return np.zeros((H, W))
    p90 = np.percentile(t[mask], 90)
    near = max_filter(max_filter(mask, 3, 0), 3, 1)
    ink = np.clip((t - thr / 2) / max(p90 - thr / 2, 1e-6), 0.0, 1.0)
    return np.where(near, ink, 0.0).astype(np.float64)
