"""The corrections format: what people send from the demo ("Wrong? The digit is 4"), as a Hub ImageFolder dataset.

Each correction is the 28x28 input the model classified (never the upload itself, nothing about the person), the
label given, what the model answered, the model id and revision, and the UTC time. Layout: any number of
subfolders, each holding PNG files and a ``metadata.jsonl`` with a ``file_name`` column — what the Hub's dataset
viewer and ``datasets.load_dataset("imagefolder", data_dir=...)`` read as they are. The demo writes it
(``serving.store``), training reads it (``read_corrections``, ``--extra-data``); a line cut short by a crash is
skipped.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

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
    sender: str = ""  # a key grouping one sender's corrections for a week, never an address ("" in older records)
    channel: str = ""  # how it came: "page", "api" or "mcp"
    file_name: str = ""  # its picture, relative to the dataset's root: what a review's decision names

    @property
    def digit(self) -> int | None:
        """The corrected digit, or None for "not a digit"."""
        return None if self.label == NOT_A_DIGIT_LABEL else int(self.label)


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
        subfolder = metadata.parent.relative_to(root)
        for number, raw in enumerate(metadata.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            try:
                correction = read_line(raw, metadata.parent)
                corrections.append(replace(correction, file_name=(subfolder / correction.file_name).as_posix()))
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
    sender, channel = (str(row.get(key) or "")[:64] for key in ("sender", "channel"))
    return Correction(
        image, row["label"], str(row.get("answer")), str(row.get("model")), str(row.get("time")), sender, channel, name
    )
