"""What the pad reads: its model (load_model) and image files (read_image, classify_image).
A problem with either is an AppError, one line naming the file."""
import os

import pygame

import fnn
from fnn.digits.photo import evenly_lit, photo_to_ink
from fnn.io import files
from fnn.io.model_files import load_digit_model
from fnn.digits.preprocess import even_out_strokes, to_ink
import fnnapp.cli.impl
from fnnapp.cli import image_header, paths
from fnnapp.views.canvas import is_empty
from fnnapp.views.teaching import NotFinite, analyse


READ_SIDE = 512                  # pixels a side an image is scaled down to before to_ink


class AppError(Exception):
    """A problem the command line reports as one line on stderr (exit code 2)."""


def load_model(path):
    """fnn.load(path) -> (params, layers, meta), checked to be a digit model
    (fnn.io.model_files.load_digit_model: 784 pixels to 10 softmax outputs, finite on a probe)."""
    try:
        paths.check_input(path)
        return load_digit_model(path)
    except (paths.PathError, fnn.ModelFileError) as e:
        raise AppError(str(e)) from None


def read_image(path):
    """An image file (anything pygame loads: PNG, JPG, BMP ...) -> (H, W) ink in [0, 1], from
    dark-on-light or light-on-dark, a scan or a photo of paper under uneven light
    (fnn.digits.photo.photo_to_ink); in a picture with transparency the
    opaque pixels are the ink. fnnapp.cli.image_header refuses a huge image before it is decoded."""
    try:
        paths.check_input(path)
        image_header.check_size(path)
        with open(path, "rb") as f, files.quiet_stderr():     # libpng's warnings: not a 2nd line
            surf = pygame.image.load(f, "image" + os.path.splitext(files.shown(path))[1])
    except (paths.PathError, image_header.ImageHeaderError) as e:
        raise AppError(str(e)) from None
    except (pygame.error, OSError, ValueError) as e:
        raise AppError(f"{files.shown(path)}: cannot read the image ({files.reason(e)})") from None
    if surf.get_width() == 0 or surf.get_height() == 0:
        raise AppError(f"{path}: the image is empty")
    surf = downscaled(surf)
    if surf.get_flags() & pygame.SRCALPHA:
        alpha = pygame.surfarray.array_alpha(surf).T
        if alpha.min() < 128 <= alpha.max():                           # real transparency
            return to_ink(alpha, invert=False)
    rgb = pygame.surfarray.array3d(surf).transpose(1, 0, 2)           # (W, H, 3) -> (H, W, 3)
    return to_ink(rgb) if evenly_lit(rgb) else photo_to_ink(rgb)       # a scan; a photo of paper


def downscaled(surf, side=READ_SIDE):
    """surf with its longer side at most `side` pixels (smoothly averaged), so that the arrays
    to_ink and mnistify build stay small (a 4096 x 4096 picture as float64 RGB is 400 MB); the
    28 x 28 digit mnistify makes needs far less. Surfaces of 8 or 16 bits are first scaled to
    2 `side` by nearest pixel, then copied to 32 bits (smoothscale's format)."""
    w, h = surf.get_size()
    if max(w, h) <= side:
        return surf
    if surf.get_bitsize() not in (24, 32):
        k = min(1.0, 2 * side / max(w, h))
        small = pygame.transform.scale(surf, (max(1, round(w * k)), max(1, round(h * k))))
        surf = pygame.Surface(small.get_size(), pygame.SRCALPHA, 32)
        surf.blit(small, (0, 0))
        w, h = surf.get_size()
    k = side / max(w, h)
    return pygame.transform.smoothscale(surf, (max(1, round(w * k)), max(1, round(h * k))))


def classify_image(model, path, impl=None):
    """path -> (digit, p, result), result being fnnapp.views.teaching.analyse's dict for the image.
    impl: draw.py --impl's module (fnnapp.cli.impl): the probabilities come from its forward."""
    ink = read_image(path)
    if is_empty(ink):
        raise AppError(f"{path}: no ink found: the image is blank")
    try:
        result = analyse(model, even_out_strokes(ink))
    except NotFinite as e:
        raise AppError(f"{path}: {e}") from None
    if impl is not None:
        try:
            result["probs"] = fnnapp.cli.impl.probs_of(impl, model[0], result["seen"])
        except fnnapp.cli.impl.ImplError as e:
            raise AppError(f"{path}: {e}") from None
    return int(result["probs"].argmax()), float(result["probs"].max()), result
