"""Ink: what was written, as white on black in [0, 1], cropped to it; None when nothing was.

A drawing's paper is one level, read from a sample of the whole picture; a light border means dark ink. Whatever
differs from that level by more than ``INK_THRESHOLD`` of the contrast is ink, unless it is scattered like noise or
printed on the paper (``lines``: ruled, squared, a margin, a box). The helpers here (boxes, pieces, scaling) are
shared by the photo and number stages.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .lines import printed_lines, without_lines

INK_THRESHOLD = 0.2  # after normalising, fainter pixels are background noise
MIN_CONTRAST = 0.12  # an image whose ink differs less than this from its background is blank
MIN_LARGEST_SHARE = 0.35  # ink whose largest connected piece holds less than this is noise (MNIST test: >= 0.45)
FLAT = 1.5 / 255  # a canvas's background pixels are all one value, give or take rounding
FLAT_SHARE = 0.5  # a picture with fewer flat background pixels than this is a photo or a scan (photos.photo_ink)
EIGHT_NEIGHBOURS = np.ones((3, 3), dtype=bool)  # pieces of ink are pixels touching by an edge or a corner
EIGHT_NEIGHBOURS.setflags(write=False)


def paper(grey: np.ndarray) -> tuple[float, bool]:
    """The paper's level (the median of a ~4k-pixel sample, plenty) and whether it is flat, as a digital canvas
    is: at least ``FLAT_SHARE`` of the sample within ``FLAT`` of it. ``grey`` is ``reading.to_grey``'s."""
    step = max(1, int(np.sqrt(grey.size / 4096)))
    sample = grey[::step, ::step]
    level = float(np.median(sample))
    return level, np.count_nonzero(np.abs(sample - level) <= FLAT) >= FLAT_SHARE * sample.size


def canvas_ink(grey: np.ndarray, level: float, printed: bool = True) -> np.ndarray | None:
    """The ink of a picture whose paper is one ``level`` (a drawing, a scan in even light), or None."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    dark = float(np.median(border)) > 0.5
    ink = level - grey if dark else grey - level
    contrast = float(ink.max())
    if contrast < MIN_CONTRAST:
        return None
    mask = ink >= INK_THRESHOLD * contrast
    lines = printed_lines(mask) if printed else None
    if lines is not None:  # ruled, squared or form paper: the ink is what is written on it
        ink = np.where(without_lines(mask, lines), ink, 0.0)
        contrast = float(ink.max())
        if contrast < MIN_CONTRAST:
            return None
        mask = ink >= INK_THRESHOLD * contrast
    box = bounding_box(mask)
    if box is None or (box == whole(grey) and is_scattered(mask, ink)):
        return None
    return scaled_ink(ink[box], contrast)


def scaled_ink(ink: np.ndarray, contrast: float) -> np.ndarray:
    """``ink`` divided by its contrast, what is fainter than ``INK_THRESHOLD`` of it dropped, capped at 1: the
    last step of reading ink from a canvas or a photo."""
    scaled = ink / contrast
    np.putmask(scaled, scaled < INK_THRESHOLD, 0.0)
    return np.minimum(scaled, 1.0, out=scaled)


def whole(picture: np.ndarray) -> tuple[slice, slice]:
    """The bounding box of every pixel of ``picture``, as ``bounding_box`` gives it."""
    return slice(0, picture.shape[0]), slice(0, picture.shape[1])


def bounding_box(mask: np.ndarray) -> tuple[slice, slice] | None:
    """The (rows, columns) slices of the smallest box holding every True pixel of ``mask``; None when none is."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def is_scattered(mask: np.ndarray, ink: np.ndarray) -> bool:
    """True when no connected piece of ink (8-neighbours) holds MIN_LARGEST_SHARE of it: noise, not a digit.

    A digit is one stroke or a few; the most broken MNIST test digit still has 45% of its ink in one piece.
    """
    labels, count = ndimage.label(mask, structure=EIGHT_NEIGHBOURS)
    if count <= 1:
        return False
    mass = ndimage.sum_labels(ink, labels, index=np.arange(1, count + 1))
    return float(mass.max()) < MIN_LARGEST_SHARE * float(mass.sum())
