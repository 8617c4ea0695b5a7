"""One picture in, the model's answer out: the shared path of the demo, the command line and the tests.

A written number, several digits, is read by ``mnist_hub.numbers``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from mnist_hub.model import ConvolutionalNetwork, digit_score
from mnist_hub.preprocessing import prepare_image

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
