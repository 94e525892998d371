"""What the pad reads: its model (load_model) and image files (read_image, classify_image).
A problem with either is an AppError, one line naming the file."""
import os

import numpy as np
import pygame

import fnn
from fnn.digits.preprocess import even_out_strokes, to_ink
import fnnapp.cli.impl
from fnnapp.cli import image_header, paths
from fnnapp.views.canvas import GRID, is_empty
from fnnapp.views.teaching import NotFinite, analyse


class AppError(Exception):
    """A problem the command line reports as one line on stderr (exit code 2)."""


def load_model(path):
    """fnn.load(path) -> (params, layers, meta), checked to map a 28x28 image to 10 classes."""
    try:
        paths.check_input(path)
        params, layers, meta = fnn.load(path)
    except (paths.PathError, fnn.ModelFileError) as e:
        raise AppError(str(e)) from None
    n_in = int(np.prod(layers[0]["shape"]))
    if n_in != GRID * GRID:
        raise AppError(f"{path}: the model takes {n_in} inputs; draw.py feeds it a 28x28 image (784)")
    try:
        with np.errstate(over="ignore", invalid="ignore"):   # a huge model: analyse says so
            AL, _ = fnn.forward(params, np.zeros((GRID * GRID, 1), np.float32), layers)
    except (NotImplementedError, ValueError) as e:
        raise AppError(f"{path}: this fnn cannot run the model ({e})") from None
    if AL.shape != (10, 1):
        raise AppError(f"{path}: the model has {AL.shape[0]} outputs; a digit model needs 10")
    return params, layers, meta


def read_image(path):
    """An image file (anything pygame loads: PNG, JPG, BMP ...) -> (H, W) ink in [0, 1], from
    dark-on-light or light-on-dark (fnn.digits.preprocess.to_ink); in a picture with transparency the
    opaque pixels are the ink. fnnapp.cli.image_header refuses a huge image before it is decoded."""
    try:
        paths.check_input(path)
        image_header.check_size(path)
        surf = pygame.image.load(os.fspath(path))
    except (paths.PathError, image_header.ImageHeaderError) as e:
        raise AppError(str(e)) from None
    except (pygame.error, OSError) as e:
        raise AppError(f"{path}: cannot read the image ({e})") from None
    if surf.get_width() == 0 or surf.get_height() == 0:
        raise AppError(f"{path}: the image is empty")
    if surf.get_flags() & pygame.SRCALPHA:
        alpha = pygame.surfarray.array_alpha(surf).T
        if alpha.min() < 128 <= alpha.max():                           # real transparency
            return to_ink(alpha, invert=False)
    return to_ink(pygame.surfarray.array3d(surf).transpose(1, 0, 2))  # (W, H, 3) -> (H, W, 3)


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
