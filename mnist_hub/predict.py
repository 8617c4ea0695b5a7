"""One picture in, the model's answer out: the shared path of the demo, the command line and the tests."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from mnist_hub.model import ConvolutionalNetwork, digit_score
from mnist_hub.preprocessing import prepare_image
from mnist_hub.preprocessing.numbers import Layout, best_path, doubtful, layout

NOT_A_DIGIT = "This doesn't look like a digit"


@dataclass(frozen=True)
class Prediction:
    """The model's calibrated probabilities for one prepared image, the 28x28 input it saw, and whether it is a digit.

    ``score`` is the calibrated top probability (``mnist_hub.model.digit_score``): from 0.1 (like no digit in
    particular) to 1; higher is more digit-like. ``is_digit`` is ``score >= model.digit_threshold`` (always True
    for a model saved without a threshold).
    """

    probabilities: torch.Tensor  # (10,)
    image: torch.Tensor  # (1, 1, 28, 28) in [0, 1]
    score: float = 1.0
    is_digit: bool = True
    box: tuple[int, int, int, int] | None = None  # in a number: (top, bottom, left, right) in the ink read

    @property
    def digit(self) -> int:
        return int(self.probabilities.argmax())

    def top(self, k: int = 3) -> list[tuple[int, float]]:
        values, digits = self.probabilities.topk(k)
        return [(int(d), float(v)) for d, v in zip(digits, values, strict=True)]

    def confidences(self) -> dict[str, float]:
        """``{"0": p0, ..., "9": p9}``, the form ``gr.Label`` takes."""
        return {str(d): float(p) for d, p in enumerate(self.probabilities)}

    def __repr__(self) -> str:
        top = ", ".join(f"({d}, {p:.3f})" for d, p in self.top(3))
        return f"Prediction(digit={self.digit}, score={self.score:.3f}, is_digit={self.is_digit}, top3=[{top}])"

    def as_dict(self) -> dict[str, Any]:
        """The answer as plain JSON values: the digit (the closest one, for a picture that is not a digit), whether
        it is a digit, its score and the top 3 with their probabilities."""
        return {
            "digit": self.digit,
            "is_digit": self.is_digit,
            "score": round(self.score, 6),
            "top3": [{"digit": d, "probability": round(p, 6)} for d, p in self.top(3)],
        }

    def describe(self, k: int = 3) -> str:
        """``7 (98.1%), 1 (1.2%), 9 (0.3%)``, or ``not a digit (closest: 7, 41.0%)``."""
        if not self.is_digit:
            digit, p = self.top(1)[0]
            return f"not a digit (closest: {digit}, {100 * p:.1f}%)"
        return ", ".join(f"{d} ({100 * p:.1f}%)" for d, p in self.top(k))


def classify(model: ConvolutionalNetwork, inputs: torch.Tensor) -> list[Prediction]:
    """Predictions for prepared inputs (N, 1, 28, 28): calibrated probabilities, score and refusal."""
    probabilities = model.calibrated_proba(inputs)
    scores = digit_score(probabilities)
    digits = model.is_digit(scores)
    return [
        Prediction(probabilities=p, image=x, score=s, is_digit=d)
        for p, x, s, d in zip(probabilities, inputs.split(1), scores.tolist(), digits.tolist(), strict=True)
    ]


def predict(model: ConvolutionalNetwork, image: Any) -> Prediction | None:
    """Prepare ``image`` like MNIST and classify it; None when there is nothing (blank, uniform or noise).

    A picture that is there but is not a digit gets a Prediction with ``is_digit`` False. Raises ``ImageError``
    when ``image`` cannot be read.
    """
    prepared = prepare_image(image)
    return None if prepared is None else classify(model, prepared)[0]


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
    if cut:
        options = found.candidates(cut)
        scored = classify(model, options.inputs)
    if len(scored) == 1:
        chosen = [0]
    else:
        scores = np.array([p.score for p in scored])
        chosen = best_path(options, scores, np.array([p.digit for p in scored]))
    return found, [replace(scored[k], box=options.boxes[k]) for k in chosen]


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
