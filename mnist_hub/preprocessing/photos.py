"""Photos: the ink of a phone photo of paper, under uneven light, with grain and the table at the border.

A picture whose paper is not one flat level and whose light is uneven is read here instead of as a canvas
(``ink.canvas_ink``): the paper's brightness is estimated pixel by pixel, and the digit (or a number's digits) is
picked out of the pieces of ink left, a printed box around it aside. Tuned on ``synthetic.photograph(style="desk")``
and, for numbers, ``photograph_number`` of training digits; the boxes on ``synthetic.photograph_page`` of
``on_paper`` pages (benchmarks/README.md).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from .ink import EIGHT_NEIGHBOURS, INK_THRESHOLD, MIN_CONTRAST, bounding_box, scaled_ink
from .lines import printed_lines, without_lines
from .reading import shrink

PHOTO_MIN_SIDE = 160  # smaller pictures are icons or upscaled thumbnails, not phone photos
PHOTO_SIDE = 256  # photos are read at this size: a digit a third of the photo still spans the 80 px working box
BACKGROUND_SCALE = 1 / 8  # the local background ignores dark shapes narrower than this share of the picture
UNEVEN_BACKGROUND = 0.06  # a local background varying more than this is uneven light: read as a photo
MIN_PIECE_SHARE = 0.06  # in a photo, ink pieces lighter than this share of the digit's main piece are specks
NEIGHBOUR_REACH = 0.3  # the digit's other pieces lie within this share of its main piece's size from it
NUMBER_GAP = 1.0  # a number's next digit, on the same line, lies within this share of a digit's height
MAX_PIECES = 500  # a photo with more pieces of ink of some weight than this holds no digit (grain, print)
POLARITY_TAIL = 1.0  # percent of a photo's pixels at each end that tell light strokes from dark (light_strokes)


def photo_ink(grey: np.ndarray) -> np.ndarray | None:
    """The ink of a photo of paper under uneven light, cropped like ``ink.canvas_ink``'s; None if it is not one.

    The paper's brightness is estimated locally by a grey closing (a large max- then min-filter, which erases
    strokes narrower than ``BACKGROUND_SCALE`` of the picture but keeps shadows, light falloff and the table),
    and the picture is divided by it, so ink is what is darker than the paper around it (light strokes on a
    dark board are read the same way, inverted). The threshold is set above the grain. Returns None when the
    light is even (the one-level path reads that as well) and an empty array when a photo holds no ink.
    """
    small = ndimage.gaussian_filter(shrink(grey, PHOTO_SIDE), 1.0)
    size = max(5, round(max(small.shape) * BACKGROUND_SCALE)) | 1
    if light_strokes(small, size):  # chalk on a board, a white pen: read as dark ink on light paper
        small = 1.0 - small
    background = ndimage.grey_closing(small, size=(size, size))  # the paper behind the ink
    inner = background[size:-size, size:-size] if min(background.shape) > 3 * size else background
    if float(np.percentile(inner, 95) - np.percentile(inner, 5)) < UNEVEN_BACKGROUND:
        return None
    ink = np.clip(1.0 - small / np.maximum(background, 1e-3), 0.0, 1.0)
    centre = float(np.median(ink))
    noise = 1.4826 * float(np.median(np.abs(ink - centre)))
    contrast = float(np.percentile(ink, 99.9))
    nothing = np.zeros((0, 0), dtype=np.float32)
    if contrast - centre < MIN_CONTRAST:
        return nothing
    keep = digit_pieces(
        ink, without_paper(ink >= max(centre + INK_THRESHOLD * (contrast - centre), centre + 6 * noise))
    )
    if keep is None:
        return nothing
    crop = np.where(keep, ink, 0.0)[bounding_box(keep)]
    return scaled_ink(crop - centre, max(float(np.percentile(crop[crop > 0], 95)) - centre, 1e-6)).astype(np.float32)


def without_paper(mask: np.ndarray) -> np.ndarray:
    """``mask`` without what touches the picture's edge (the page edge, the table) when printed lines are found in
    the rest (``lines.printed_lines``: a form's boxes and comb fields), and without those lines; else as it is."""
    labels, _ = ndimage.label(mask, structure=EIGHT_NEIGHBOURS)
    edge = edge_labels(labels, edge_margin(labels))
    inner = mask & ~np.isin(labels, edge[edge > 0])
    lines = printed_lines(inner)
    return mask if lines is None else without_lines(inner, lines)


def edge_margin(labels: np.ndarray) -> int:
    """How near the picture's edge a piece touches it: blur and resampling can leave a gap of a pixel or two."""
    return max(2, max(labels.shape) // 64)


def digit_pieces(ink: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """Which pixels of ``mask`` are the digit's: None when every piece of ink touches the picture's edge.

    Pieces at the edge (the page edge, the table) are dropped, and so are ``frames``, printed boxes around what is
    written in them; the digit is the most stroke-like piece left (ink mass per unit of half-width favours long
    thin strokes over the wedges of shadow a table corner leaves), with the pieces of some weight near it, or beside
    it on its line (a number's other digits), and near those, and so on: the connected component of the digit in
    the graph of pieces near each other. None too when more than ``MAX_PIECES`` pieces have some weight.
    """
    labels, count = ndimage.label(mask, structure=EIGHT_NEIGHBOURS)
    if count == 0:
        return None
    index = np.arange(1, count + 1)
    mass = ndimage.sum_labels(ink, labels, index=index)
    edge = edge_labels(labels, edge_margin(labels))
    mass[edge[edge > 0] - 1] = 0.0
    if float(mass.max()) <= 0:
        return None
    boxes = np.array([[b.start, b.stop] for box in ndimage.find_objects(labels) for b in box]).reshape(count, 2, 2)
    weighty = np.flatnonzero(mass >= MIN_PIECE_SHARE * mass.max())
    if weighty.size <= MAX_PIECES:
        mass[frames(labels, boxes[weighty], weighty)] = 0.0
    radius = ndimage.maximum(ndimage.distance_transform_edt(mask), labels, index=index)
    main = int(np.argmax(mass / np.maximum(radius, 1.5)))
    heavy = np.flatnonzero(mass >= MIN_PIECE_SHARE * mass[main])
    if heavy.size > MAX_PIECES:
        return None  # grain or a page of print, not a digit or a number: and the work stays bounded
    reach = NEIGHBOUR_REACH * float((boxes[main, :, 1] - boxes[main, :, 0]).max())
    line_reach = NUMBER_GAP * float(boxes[main, 0, 1] - boxes[main, 0, 0])
    one, other = boxes[heavy, None], boxes[None, heavy]
    linked = near(one, other, reach) | in_line(one, other, line_reach)
    _, component = connected_components(csr_matrix(linked), directed=False)
    chosen = np.zeros(count, dtype=bool)
    chosen[heavy] = component == component[np.flatnonzero(heavy == main)[0]]
    return np.concatenate([[False], chosen])[labels]


def frames(labels: np.ndarray, boxes: np.ndarray, pieces: np.ndarray) -> np.ndarray:
    """Which of ``pieces`` (indices, label - 1; ``boxes`` theirs, as ``near`` takes them) enclose another of them:
    a printed box or a form's field around what is written in it, at whatever angle the phone saw the page. A
    digit's loops hold no piece of such weight."""
    around = ((boxes[:, None, :, 0] < boxes[None, :, :, 0]) & (boxes[None, :, :, 1] < boxes[:, None, :, 1])).all(-1)
    found = []
    for k in np.flatnonzero(around.any(axis=1)):
        (top, bottom), (left, right) = boxes[k]
        crop = labels[top:bottom, left:right]
        held = ndimage.binary_fill_holes(crop == pieces[k] + 1) & np.isin(crop, pieces[around[k]] + 1)
        if held.any():
            found.append(int(pieces[k]))
    return np.asarray(found, dtype=np.intp)


def light_strokes(small: np.ndarray, size: int) -> bool:
    """True when a photo's strokes are lighter than the surface around them (chalk on a board, a white pen).

    Strokes are thin and cover little of the picture: against the picture blurred over ``size`` (the background's
    scale), they make a long tail on their side of the difference, and the surface around them a short one on the
    other. The side whose ``POLARITY_TAIL`` percentile reaches further is the strokes'.
    """
    difference = small - ndimage.gaussian_filter(small, size / 4)
    low, high = np.percentile(difference, (POLARITY_TAIL, 100 - POLARITY_TAIL))
    return float(high) > -float(low)


def edge_labels(labels: np.ndarray, margin: int) -> np.ndarray:
    """The labels (0, the background, among them) found within ``margin`` pixels of the picture's edge."""
    band = [labels[:margin], labels[-margin:], labels[:, :margin].T, labels[:, -margin:].T]
    return np.unique(np.concatenate([b.ravel() for b in band]))


def near(a: np.ndarray, b: np.ndarray, reach: float) -> np.ndarray:
    """Whether bounding boxes ``a`` and ``b`` come within ``reach`` pixels of each other; boxes are arrays of
    ((top, bottom), (left, right)), broadcast against each other."""
    return ((a[..., 0] < b[..., 1] + reach) & (a[..., 1] > b[..., 0] - reach)).all(axis=-1)


def in_line(a: np.ndarray, b: np.ndarray, reach: float) -> np.ndarray:
    """Whether bounding boxes ``a`` and ``b`` (as ``near`` takes them) share half the shorter one's rows and lie
    within ``reach`` pixels of each other side by side: the next digit of a number written on a line."""
    rows = np.minimum(a[..., 0, 1], b[..., 0, 1]) - np.maximum(a[..., 0, 0], b[..., 0, 0])
    shorter = np.minimum(a[..., 0, 1] - a[..., 0, 0], b[..., 0, 1] - b[..., 0, 0])
    return (rows >= 0.5 * shorter) & (a[..., 1, 0] < b[..., 1, 1] + reach) & (a[..., 1, 1] > b[..., 1, 0] - reach)
