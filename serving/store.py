"""Where the demo keeps the corrections people send: bounded, and written whole or not at all.

Each server process appends only to its own subfolders, under a lock shared with the uploader, and fsyncs before it
acknowledges: a killed server loses nothing it acknowledged, and leaves no half-written file or line (the format:
``mnist_hub.corrections``).
"""

from __future__ import annotations

import errno
import io
import json
import os
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

import torch
from PIL import Image

from mnist_hub.corrections import LABELS, METADATA, NOT_A_DIGIT_LABEL, CorrectionError
from mnist_hub.preprocessing import to_pixels

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

    def save(
        self,
        image: torch.Tensor,
        label: str,
        answer: str,
        model: str,
        sender: str = "",
        channel: str = "",
        time: datetime | None = None,
    ) -> str:
        """Store one correction of ``image`` (1, 1, 28, 28) in [0, 1], with its ``sender`` key and ``channel``, sent
        at ``time`` (default: now; a replay, such as the poisoning benchmark's, gives its own); returns its file
        name. Raises ``CorrectionError`` for a label outside ``LABELS``, a full folder or a failed
        write, storing nothing."""
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
                "time": (time or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
                **({"sender": sender} if sender else {}),
                **({"channel": channel} if channel else {}),
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
