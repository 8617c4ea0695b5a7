"""The review's decisions on users' corrections: ``review.jsonl`` at the root of the corrections dataset.

One JSON line per decision, appended, never rewritten: ``file_name`` (the correction's picture, relative to the
dataset's root, as ``Correction.file_name``), ``decision``, ``reviewer``, ``time`` (UTC) and ``reason``. A decision
is ``accept`` or ``reject`` by a person, or ``flag`` by the review's automatic first pass (``training.flags``); the
latest person's decision on a picture stands, and a flag stands only while no person has decided. The file travels
with the dataset (the review uploads it to the dataset repo), so training reads what was decided and a second review
starts where the first stopped.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from serving.store import append_line

REVIEW_FILE = "review.jsonl"
ACCEPT, REJECT, FLAG = "accept", "reject", "flag"
DECISIONS = (ACCEPT, REJECT, FLAG)
AUTOMATIC = "automatic review"  # the reviewer named on flags
FIELDS = ("file_name", "decision", "reviewer", "time", "reason")


@dataclass(frozen=True)
class Decision:
    """One line of ``review.jsonl``."""

    file_name: str
    decision: str
    reviewer: str
    time: str
    reason: str = ""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def read_decisions(folder: str | os.PathLike) -> dict[str, Decision]:
    """The decision that stands on each picture named in ``folder``'s ``review.jsonl`` (none if there is no file).

    The file may come from anyone (a Hub dataset): a line that is not a JSON object with a text ``file_name`` and
    one of ``DECISIONS`` is skipped, as is a line cut short by a crash."""
    path = Path(folder) / REVIEW_FILE
    standing: dict[str, Decision] = {}
    if not path.is_file():
        return standing
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(raw)
        except (json.JSONDecodeError, RecursionError):
            continue
        if not isinstance(row, dict) or not isinstance(row.get("file_name"), str):
            continue
        if row.get("decision") not in DECISIONS:
            continue
        decision = Decision(*(str(row.get(key) or "") for key in FIELDS))
        earlier = standing.get(decision.file_name)
        if decision.decision == FLAG and earlier is not None and earlier.decision != FLAG:
            continue  # a person's decision is not undone by a later automatic pass
        standing[decision.file_name] = decision
    return standing


def record_decisions(folder: str | os.PathLike, decisions: list[Decision]) -> None:
    """Append ``decisions`` to ``folder``'s ``review.jsonl`` in one write, on disk (fsynced) when this returns, or
    not at all (``serving.store.append_line``, the corrections' own). A line a crash cut short before is closed
    first, so that it costs only itself."""
    if not decisions:
        return
    path = Path(folder) / REVIEW_FILE
    data = "".join(json.dumps(asdict(d), ensure_ascii=False) + "\n" for d in decisions).encode()
    if path.is_file() and path.stat().st_size:
        with path.open("rb") as f:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                data = b"\n" + data
    append_line(path, data)


def status(standing: dict[str, Decision], file_name: str) -> str:
    """``accepted``, ``rejected``, ``flagged`` or ``unreviewed``."""
    decision = standing.get(file_name)
    if decision is None:
        return "unreviewed"
    return {ACCEPT: "accepted", REJECT: "rejected", FLAG: "flagged"}[decision.decision]
