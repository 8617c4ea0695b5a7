"""Measure a model on labelled images: accuracy, loss, confusion matrix, per-class precision/recall, misses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import classification_report, confusion_matrix, precision_recall_fscore_support

from mnist_hub.misses import Misses
from mnist_hub.model import CHUNK_SIZE, ConvolutionalNetwork
from mnist_hub.preprocessing import mnist_to_tensor

CLASSES = list(range(10))


@dataclass(frozen=True)
class Evaluation:
    """What a model scored on a labelled set; ``log_probabilities`` is (N, 10)."""

    labels: torch.Tensor
    log_probabilities: torch.Tensor

    @property
    def predictions(self) -> torch.Tensor:
        return self.log_probabilities.argmax(dim=1)

    @property
    def total(self) -> int:
        return int(self.labels.numel())

    @property
    def correct(self) -> int:
        return int((self.predictions == self.labels).sum())

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def loss(self) -> float:
        return float(F.nll_loss(self.log_probabilities, self.labels)) if self.total else 0.0

    @property
    def confusion(self) -> np.ndarray:
        """Rows are true digits, columns predicted digits."""
        return confusion_matrix(self.labels.numpy(), self.predictions.numpy(), labels=CLASSES)

    def per_class(self) -> dict[str, list[float] | list[int]]:
        precision, recall, _, support = precision_recall_fscore_support(
            self.labels.numpy(), self.predictions.numpy(), labels=CLASSES, zero_division=0
        )
        return {
            "precision": [round(float(v), 6) for v in precision],
            "recall": [round(float(v), 6) for v in recall],
            "support": [int(v) for v in support],
        }

    def misses(self, images: torch.Tensor, refused: torch.Tensor | None = None) -> Misses:
        """The misclassified ``images`` (uint8, aligned with ``labels``) and those ``refused`` (a bool mask) as
        not digits, with what the model said."""
        shown = self.predictions != self.labels
        if refused is not None:
            shown |= refused
        rows = torch.nonzero(shown).flatten()
        return Misses(
            indices=rows.to(torch.int64),
            images=images[rows].contiguous(),
            labels=self.labels[rows].to(torch.int64),
            predictions=self.predictions[rows].to(torch.int64),
            probabilities=self.log_probabilities[rows].exp().to(torch.float32),
            refused=(refused[rows] if refused is not None else torch.zeros(len(rows), dtype=torch.bool)).contiguous(),
        )

    def summary(self) -> dict:
        """The JSON-ready test section of ``metrics.json``."""
        return {
            "accuracy": round(self.accuracy, 6),
            "correct": self.correct,
            "total": self.total,
            "loss": round(self.loss, 6),
            "misses": self.total - self.correct,
            "confusion_matrix": self.confusion.tolist(),
            "per_class": self.per_class(),
        }

    def report(self) -> str:
        """The notebook's printout: accuracy, confusion matrix under a header of digits, per-class report."""
        width = max(4, len(str(self.confusion.max())) + 1)
        header = "".join(f"{c:>{width}}" for c in CLASSES)
        rows = "\n".join(
            f"{true:>3} |" + "".join(f"{v:>{width}}" for v in row) for true, row in enumerate(self.confusion)
        )
        report = classification_report(
            self.labels.numpy(), self.predictions.numpy(), labels=CLASSES, digits=4, zero_division=0
        )
        return (
            f"Test accuracy: {format_accuracy(self.correct, self.total)}   loss {self.loss:.4f}\n\n"
            f"Confusion matrix (rows: true digit, columns: predicted digit)\n"
            f"{'':>3} |{header}\n{'-' * (5 + len(header))}\n{rows}\n\n"
            f"{report}\n"
            f"Misses: {self.total - self.correct}"
        )


def format_accuracy(correct: int, total: int) -> str:
    """``9848/10000 = 98.480%``."""
    return f"{correct}/{total} = {100 * correct / total:.3f}%" if total else "0/0"


def evaluate(
    model: ConvolutionalNetwork, images: torch.Tensor, labels: torch.Tensor, batch_size: int = CHUNK_SIZE
) -> Evaluation:
    """Run ``model`` over uint8 MNIST-style ``images`` (N, 28, 28) and score it against ``labels``."""
    log_probabilities = model.predict_log_proba(mnist_to_tensor(images), batch_size=batch_size)
    return Evaluation(labels=labels.to(torch.int64).cpu(), log_probabilities=log_probabilities.float())
