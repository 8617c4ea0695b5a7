"""Turn pictures into what the network expects: (N, 1, 28, 28) float32 in [0, 1], white ink on black.

``prepare_image`` reproduces how MNIST itself was prepared (see the README): find the ink whatever its colour,
crop to it, fit it into a 20x20 box keeping the aspect ratio, and centre it by its centre of mass in 28x28.
Drawings and photos differ from MNIST in size, position, stroke width and polarity; this undoes all four. The
app, the evaluation scripts, the command line and the tests all use this one function. Its stages, a module each:

- ``reading``: any picture (file, bytes, PIL, numpy, Gradio's value) as one grey array, checked before decoding;
- ``ink``: a canvas's ink, read against its one paper level, and the helpers the other stages share;
- ``lines``: the paper's printed lines (ruled, squared, a margin, a form's box), taken out of a canvas's ink;
- ``photos``: a phone photo's ink, read against the paper's brightness estimated pixel by pixel;
- ``fitting``: cropped ink fitted into 28x28 as MNIST's digits were;
- ``numbers``: where a written number's digits are (cuts, candidates, the best reading), for ``predict.read_number``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .fitting import mnist_to_tensor, prepare_ink, to_pixels
from .ink import canvas_ink, paper
from .photos import PHOTO_MIN_SIDE, photo_ink
from .reading import ImageError, check_image_file, to_grey

__all__ = [
    "ImageError",
    "check_image_file",
    "extract_ink",
    "mnist_to_tensor",
    "prepare_image",
    "prepare_ink",
    "to_grey",
    "to_pixels",
]


def prepare_image(image: Any, printed: bool = True) -> torch.Tensor | None:
    """Prepare any picture of one digit like MNIST: (1, 1, 28, 28) float32 in [0, 1], or None when there is none.

    ``image`` may be a PIL image of any mode, a numpy array (HxW, HxWx1/3/4; uint8, uint16, bool or float), a
    file path or raw bytes (from Gradio's sketch value, its ``composite``). Dark-on-light and
    light-on-dark are both understood; transparency is flattened onto the background that suits the ink.
    None means no digit: the picture is blank, uniform, or noise (or an empty printed form). Raises ``ImageError``
    for something that is not a readable image. ``printed`` False: drawn on no paper (``extract_ink``).
    """
    grey = to_grey(image)
    if grey is None:
        return None
    ink = extract_ink(grey, printed)
    return None if ink is None else prepare_ink(ink)


def extract_ink(grey: np.ndarray, printed: bool = True) -> np.ndarray | None:
    """The ink of a grey picture (``to_grey``'s) as white on black in [0, 1], cropped to it; None when there is no
    digit. A picture whose paper is not flat and large enough to be a photo is tried as one first (a drawing pays
    only for the flatness check on a sample); even light is read as a canvas, whose printed lines are taken out
    unless ``printed`` is False (the demo's drawing pad has none: it saves the search, ~1 ms)."""
    level, flat = paper(grey)
    if not flat and min(grey.shape) >= PHOTO_MIN_SIDE:
        photo = photo_ink(grey)
        if photo is not None:
            return photo if photo.size else None
    return canvas_ink(grey, level, printed)
