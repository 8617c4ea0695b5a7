"""Fitting into 28x28: cropped ink as MNIST's own digits were made, and MNIST's uint8 pictures as model input.

MNIST fitted each digit into a 20x20 box keeping its aspect ratio and centred it by its centre of mass in 28x28.
Strokes are also brought to MNIST's width: a drawing's pen can be any size, MNIST's was one.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from .ink import EIGHT_NEIGHBOURS

SIDE = 28  # the network's input
BOX = 20  # MNIST fits each digit into a 20x20 box inside the 28x28 image
WORK_SCALE = 4  # strokes are measured and thickened at 4x the box size (an 80 px box)
STROKE_WIDTH = 2.2  # median stroke width of MNIST test digits in the 20 px box (measured: 2.14 at threshold 0.5)
THICK_SLACK = 0.5  # strokes up to this many px (in the box) thicker than MNIST are left alone (see fit_in_box)


def prepare_ink(ink: np.ndarray) -> torch.Tensor:
    """Ink already found and cropped (``extract_ink``, ``numbers.Layout.candidates``) as MNIST input (1, 1, 28, 28)."""
    return torch.from_numpy(center_in_28(fit_in_box(ink))[None, None])


def mnist_to_tensor(images: torch.Tensor) -> torch.Tensor:
    """MNIST-style uint8 images (N, 28, 28), already centred and size-normalised, as model input."""
    if images.dtype != torch.uint8 or images.dim() != 3:
        raise ValueError(f"expected uint8 images of shape (N, H, W), got {images.dtype} {tuple(images.shape)}")
    return images.unsqueeze(1).to(torch.float32).div_(255.0)


def to_pixels(image: torch.Tensor) -> np.ndarray:
    """A model input (1, 1, 28, 28) in [0, 1] as the 28x28 uint8 picture it is, white ink on black like MNIST:
    the inverse of ``mnist_to_tensor`` (what the demo shows, what a correction stores)."""
    return (image.reshape(SIDE, SIDE).clamp(0, 1) * 255).round().to(torch.uint8).numpy()


def fit_in_box(ink: np.ndarray) -> np.ndarray:
    """The cropped ink fitted into BOX x BOX keeping its aspect ratio, strokes as thick as MNIST's.

    Works at WORK_SCALE x the box size: a max-pool downscale keeps thin strokes, a dilation brings thin
    strokes up to MNIST's width and an erosion thins thick ones towards it (``THICK_SLACK``, measured in
    benchmarks/README.md), then area averaging anti-aliases down to the box.
    """
    ink = np.ascontiguousarray(ink, dtype=np.float32)
    height, width = ink.shape
    work = BOX * WORK_SCALE
    scale = work / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    if scale < 1:  # max-pooling keeps thin strokes however much smaller the box is
        ink = F.adaptive_max_pool2d(torch.from_numpy(ink[None, None]), size).numpy()[0, 0]
    else:
        t = F.interpolate(torch.from_numpy(ink[None, None]), size=size, mode="bilinear", align_corners=False)
        ink = t.numpy()[0, 0]
    target = STROKE_WIDTH * WORK_SCALE
    change = round(target - stroke_width(ink > 0.5))
    if change >= 2:  # thin pen: dilate
        ink = ndimage.maximum_filter(ink, min(change, 4 * WORK_SCALE) | 1, mode="constant", cval=0.0)
    elif change <= -THICK_SLACK * WORK_SCALE:  # thick pen: erode towards MNIST's width
        ink = ndimage.minimum_filter(ink, min(-change, 4 * WORK_SCALE) | 1, mode="constant", cval=0.0)
    height, width = ink.shape
    scale = BOX / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    box = F.adaptive_avg_pool2d(torch.from_numpy(np.ascontiguousarray(ink)[None, None]), size).numpy()[0, 0]  # "area"
    return box / max(float(box.max()), 1e-6)


def stroke_width(mask: np.ndarray | torch.Tensor) -> float:
    """Estimated stroke width in pixels of a boolean mask: 2 x area / boundary pixels (exact for long strokes)."""
    mask = np.asarray(mask, dtype=bool)
    eroded = ndimage.binary_erosion(mask, EIGHT_NEIGHBOURS, border_value=0)  # outside the picture: background
    area = int(np.count_nonzero(mask))
    boundary = area - int(np.count_nonzero(eroded))
    return 2.0 * area / boundary if boundary > 0 else 1.0


def center_in_28(digit: np.ndarray) -> np.ndarray:
    """Paste into SIDE x SIDE so the centre of mass sits at the centre, as MNIST did (numpy: one small picture)."""
    height, width = digit.shape
    mass = digit.sum()
    com_y = float((digit.sum(1) * np.arange(height, dtype=np.float32)).sum() / mass)
    com_x = float((digit.sum(0) * np.arange(width, dtype=np.float32)).sum() / mass)
    top = min(max(round(SIDE / 2 - com_y), 0), SIDE - height)
    left = min(max(round(SIDE / 2 - com_x), 0), SIDE - width)
    out = np.zeros((SIDE, SIDE), dtype=np.float32)
    out[top : top + height, left : left + width] = digit
    return out
