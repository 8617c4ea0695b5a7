"""The preprocessing pipeline, stage after stage: any picture -> one grey array -> its ink -> MNIST's 28x28.

``prepare_image`` is what the app, the evaluation scripts, the command line and the tests call; ``extract_ink``
decides which stage reads the ink (a phone photo's, or a canvas's with its printed lines taken out).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .fitting import prepare_ink
from .ink import canvas_ink, paper
from .photos import PHOTO_MIN_SIDE, photo_ink
from .reading import to_grey


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
