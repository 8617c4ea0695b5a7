"""A corrections folder for the review's tests, written by the demo's own store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import torch

from mnist_hub.corrections import NOT_A_DIGIT_LABEL
from serving.store import CorrectionStore

T0 = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)


def write_corpus(folder: Path, images: torch.Tensor, labels: torch.Tensor) -> dict[str, set[str]]:
    """Honest corrections (right labels, eight senders, a day apart), a flood of 7s labelled "1" from one sender in
    a minute, a "not a digit" said of a clear 3, and one picture sent twice; the file names of each kind."""
    store = CorrectionStore(folder, max_bytes=10**8)
    kinds: dict[str, set[str]] = {"honest": set(), "flood": set(), "not a digit": set(), "repeat": set()}

    def save(kind: str, i: int, label: str, sender: str, at: datetime) -> None:
        image = images[i].float().div(255).view(1, 1, 28, 28)
        name = store.save(image, label, "?", "bundled", sender, "page", at)
        kinds[kind].add(f"{store.shard.name}/{name}")

    honest = [i for i in range(200) if labels[i] != 7][:16]
    for k, i in enumerate(honest):
        save("honest", i, str(int(labels[i])), f"honest{k % 8}", T0 + timedelta(days=k % 8, minutes=k))
    sevens = [i for i in range(2000) if labels[i] == 7][:12]
    for k, i in enumerate(sevens):
        save("flood", i, "1", "flooder", T0 + timedelta(seconds=5 * k))
    three = next(i for i in range(200) if labels[i] == 3)
    save("not a digit", three, NOT_A_DIGIT_LABEL, "honest9", T0)
    save("repeat", honest[0], str(int(labels[honest[0]])), "honest10", T0 + timedelta(days=2))
    return kinds
