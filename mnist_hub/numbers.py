"""How a written number is read: the recognition loop, and the costs it decides by.

Recognition-based segmentation, as LeCun, Bottou, Bengio & Haffner (1998) read check amounts:
``preprocessing.numbers`` finds the pieces of ink and the candidate digits among them; here the network scores
every candidate in one batch, pieces that may hold several digits (``doubtful``) are cut and scored again, and the
reading is the cheapest path through the candidates (``best_path``, dynamic programming). A digit's cost is how
little the network believes it is one (its calibrated digit score), plus a constant per digit and priors on its
shape.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

import numpy as np

from mnist_hub.model import ConvolutionalNetwork
from mnist_hub.predict import Prediction, classify
from mnist_hub.preprocessing.numbers import Candidates, Layout, layout

PART_SURE = 0.97  # a candidate that begins or ends at a cut must be at least this sure a digit (refusal kept)
SURE = 0.9  # a piece read whole with a lower digit score is cut, in case it holds several digits
DIGIT_COST = 0.7  # each digit read costs this much: fewer, whole digits are preferred to fragments
ASPECT_COST = 4.0  # cost per unit of log aspect ratio outside the range of the digit read (``ASPECT``)
# The range of width / height of each digit in MNIST's training set (1st to 99th percentile of the ink's box,
# tests/test_numbers.py recomputes it): a slanted stroke as wide as it is high is a piece, not a 1.
ASPECT = (
    (0.55, 1.43),
    (0.15, 1.0),
    (0.55, 1.67),
    (0.45, 1.25),
    (0.5, 1.25),
    (0.5, 1.67),
    (0.4, 1.11),
    (0.5, 1.25),
    (0.45, 1.25),
    (0.4, 1.05),
)


def predict_number(model: ConvolutionalNetwork, image: Any) -> list[Prediction]:
    """Read a written number: one ``Prediction`` per digit, left to right; [] when there is no ink.

    Every candidate digit of ``preprocessing.numbers.Layout.candidates`` (pieces of ink and, where digits may
    touch or overlap, parts between cuts) is prepared like MNIST and scored in one batch; the reading is
    ``numbers.best_path`` through them. So "2024" is four 28x28 inputs, not one squeezed picture, and one
    digit gives a list of one. Raises ``ImageError`` when ``image`` cannot be read.
    """
    return read_number(model, image)[1]


def read_number(
    model: ConvolutionalNetwork, image: Any, printed: bool = True
) -> tuple[Layout | None, list[Prediction]]:
    """``predict_number``'s reading, with the ink it read (None without ink); each prediction's ``box`` is where
    that digit lies in the ink (top, bottom, left, right).

    The pieces of ink are read whole first; only pieces that may hold several digits (``numbers.doubtful``) and
    are wide enough to be cut are then cut, and every candidate scored again: a digit standing alone costs one
    pass of the network. ``printed`` False: a picture drawn on no paper (the demo's pad), whose ink skips the
    search for printed lines (``preprocessing.lines``)."""
    found = layout(image, printed)
    if found is None:
        return None, []
    options = found.candidates()
    scored = classify(model, options.inputs)
    cut = [
        g
        for g, k in enumerate(options.alone)
        if doubtful(scored[k].score, scored[k].is_digit, scored[k].digit, options.boxes[k]) and found.cuttable(g)
    ]
    sure = [g for g, k in enumerate(options.alone) if sure_digit(scored[k], options.boxes[k])]
    if cut:
        options = found.candidates(cut)
        scored = classify(model, options.inputs)
    if len(scored) == 1:
        chosen = [0]
    else:
        scores = np.array([p.score for p in scored])
        chosen = best_path(options, scores, np.array([p.digit for p in scored]), sure)
    return found, [replace(scored[k], box=options.boxes[k]) for k in chosen]


def doubtful(score: float, is_digit: bool, digit: int, box: tuple[int, int, int, int]) -> bool:
    """Whether a piece read whole may hold more than one digit: refused, not sure, or wider than its digit is."""
    top, bottom, left, right = box
    return not is_digit or score < SURE or (right - left) / max(1, bottom - top) > ASPECT[digit][1]


def sure_digit(reading: Prediction, box: tuple[int, int, int, int]) -> bool:
    """Whether a piece read whole is a sure digit: at least ``PART_SURE`` sure, and no wider than that digit is
    (people write narrower digits than MNIST's, never much wider ones)."""
    top, bottom, left, right = box
    return (
        reading.is_digit
        and reading.score >= PART_SURE
        and (right - left) / max(1, bottom - top) <= ASPECT[reading.digit][1]
    )


def best_path(found: Candidates, scores: np.ndarray, digits: np.ndarray, sure: Collection[int] = ()) -> list[int]:
    """The candidates read as the number, left to right: the path through the atoms of least total cost, a
    candidate's cost being ``DIGIT_COST``, minus the log of its digit score, its shape's cost and
    ``ASPECT_COST`` per unit of log aspect ratio outside ``ASPECT`` of the digit it reads as.

    Pieces that are ``sure`` digits read whole are never joined into one digit: two digits written apart and each
    read for sure stay two, however well they read together (a 5 and a narrow 9 as one 9 would drop the 5)."""
    aspect_range = np.log(np.asarray(ASPECT))[digits]
    boxes = np.asarray(found.boxes, dtype=np.float64)
    aspect = np.log(np.maximum(boxes[:, 3] - boxes[:, 2], 1) / np.maximum(boxes[:, 1] - boxes[:, 0], 1))
    outside = np.maximum(0.0, np.maximum(aspect - aspect_range[:, 1], aspect_range[:, 0] - aspect))
    cost = DIGIT_COST - np.log(np.maximum(scores, 1e-6)) + found.costs + ASPECT_COST * outside
    cost[found.parts & (scores < PART_SURE)] = np.inf  # a piece comes apart only into sure digits
    for k, (first, end) in enumerate(found.pieces):
        if end - first > 1 and all(g in sure for g in range(first, end)):
            cost[k] = np.inf
    total = np.full(found.atoms + 1, np.inf)
    total[0] = 0.0
    via = np.full(found.atoms + 1, -1)
    for k in sorted(range(len(found.runs)), key=lambda k: found.runs[k][1]):
        first, end = found.runs[k]
        if total[first] + cost[k] < total[end]:
            total[end], via[end] = total[first] + cost[k], k
    path, end = [], found.atoms
    while end > 0:
        path.append(int(via[end]))
        end = found.runs[via[end]][0]
    return path[::-1]


def number_text(predictions: list[Prediction]) -> str:
    """The digits read, as a string: ``"2024"``; a piece that is not a digit is ``?``."""
    return "".join(str(p.digit) if p.is_digit else "?" for p in predictions)


def reading_text(predictions: list[Prediction]) -> str:
    """What a picture reads as, in one line, as the demo shows it: a digit's top 3 (or "not a digit"), or
    ``number 2024: 2 (99.9%), 0 (99.8%), ...`` for several digits, or that nothing was found."""
    if not predictions:
        return "no digit found (the image is blank, uniform or noise)"
    if len(predictions) == 1:
        return predictions[0].describe()
    return f"number {number_text(predictions)}: " + ", ".join(p.describe(1) for p in predictions)
