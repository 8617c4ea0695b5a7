"""What the demo shows besides predictions: the model's misses, its metrics and its plots, wherever it lives."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mnist_hub.files import CONFUSION_PNG, CURVES_PNG, METRICS_NAME, MISSES_NAME, model_file
from mnist_hub.loading import DEFAULT_MODEL, load_model, resolve_model_id
from mnist_hub.misses import Misses
from mnist_hub.model import ConvolutionalNetwork

IMAGES = (CONFUSION_PNG, CURVES_PNG)  # the plots the demo's Model tab shows
REFUSED = "not a digit"  # the gallery's filter for the test digits the model refuses


@dataclass
class Showcase:
    """A loaded model with the files published beside it (any of which may be missing)."""

    model: ConvolutionalNetwork
    model_id: str
    revision: str | None
    misses: Misses | None = None
    metrics: dict | None = None
    images: dict[str, Path] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """The model for people: a repo id (with its revision), a folder, or "the bundled model"."""
        if Path(self.model_id) == DEFAULT_MODEL:
            return "the bundled model"
        return self.model_id + (f" @ {self.revision}" if self.revision else "")

    def accuracy_text(self) -> str:
        if not self.metrics:
            return "this model has no metrics.json, so its test accuracy is unknown"
        test = self.metrics["test"]
        return f"{test['correct']:,} / {test['total']:,} MNIST test digits correct ({100 * test['accuracy']:.2f}%)"

    def gallery(self, true: int | None = None, predicted: int | str | None = None, scale: int = 4) -> list:
        """``(image, caption)`` pairs of the misses, optionally only one true digit and/or one answer: a
        predicted digit, or ``REFUSED`` for the test digits the model refused as not digits."""
        if self.misses is None:
            return []
        m = self.misses
        refused = m.refused.numpy()
        keep = np.ones(len(m), dtype=bool)
        if true is not None:
            keep &= m.labels.numpy() == true
        if predicted == REFUSED:
            keep &= refused
        elif predicted is not None:
            keep &= (m.predictions.numpy() == int(predicted)) & ~refused
        block = np.ones((scale, scale), dtype=np.uint8)
        return [(np.kron(m.images[i].numpy(), block), caption(m, i)) for i in np.flatnonzero(keep)]


def caption(m: Misses, i: int) -> str:
    """``true 7 → predicted 1 (83%)`` or ``true 7 → not a digit (closest 1, 41%)``."""
    predicted = int(m.predictions[i])
    confidence = 100 * float(m.probabilities[i, predicted])
    if bool(m.refused[i]):
        return f"true {int(m.labels[i])} → not a digit (closest {predicted}, {confidence:.0f}%)"
    return f"true {int(m.labels[i])} → predicted {predicted} ({confidence:.0f}%)"


def load_showcase(model_id: str | None = None, revision: str | None = None) -> Showcase:
    """``load_model`` (same arguments and errors) plus the misses, metrics and plots stored beside the model."""
    model_id, revision = resolve_model_id(model_id, revision)
    showcase = Showcase(model=load_model(model_id, revision), model_id=model_id, revision=revision)
    misses = model_file(model_id, revision, MISSES_NAME)
    if misses is not None:
        showcase.misses = Misses.load(misses)
    metrics = model_file(model_id, revision, METRICS_NAME)
    if metrics is not None:
        showcase.metrics = json.loads(metrics.read_text())
    for name in IMAGES:
        path = model_file(model_id, revision, name)
        if path is not None:
            showcase.images[name] = path
    return showcase
