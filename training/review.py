"""Review users' corrections before any is trained on: ``python -m training.review USER/corrections`` (or a folder).

    python -m training.train --recipe reference --output-dir runs/reference   # once: the second opinion
    python -m training.review USER/mnist-corrections                          # the review page, on 127.0.0.1
    python -m training.review corrections/ --reject-flagged                   # the automatic pass alone

The automatic first pass (``training.flags``) flags what a person should look at; the page (``training.review_page``)
shows the corrections grouped by label, sender or day, and accepts or rejects one, a whole group (a sender's all)
or everything flagged. Decisions go to ``review.jsonl`` beside the data (``training.decisions``) and, for a dataset
repo, up to the repo with "Upload decisions", so training (which reads accepted corrections only) and the next
review see them.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_hub.corrections import Correction
from mnist_hub.files import is_local_reference
from training.decisions import (
    ACCEPT,
    AUTOMATIC,
    FLAG,
    REJECT,
    REVIEW_FILE,
    Decision,
    now,
    read_decisions,
    record_decisions,
    status,
)
from training.flags import Opinion, flag_corrections, reference_opinions

DEFAULT_REFERENCE = "runs/reference"
GROUPINGS = ("label", "sender", "day")
SHOWN = ("flagged", "not reviewed", "accepted", "rejected", "all")
STATUS_MARKS = {"flagged": "⚑", "accepted": "✓", "rejected": "✗", "unreviewed": ""}  # short, for a gallery caption


class ReviewError(Exception):
    """The review cannot start or a decision cannot be saved; one line for the maintainer."""


@dataclass(frozen=True)
class Item:
    """One correction under review, with the reference's opinion and the automatic pass's reasons."""

    correction: Correction
    opinion: Opinion
    reasons: tuple[str, ...]

    def group(self, by: str) -> str:
        if by == "label":
            return self.correction.label
        if by == "sender":
            return self.correction.sender or "(no sender key)"
        return self.correction.time[:10] or "(no time)"


class Review:
    """The corrections in one folder, the decisions standing on them, and the actions of the review page."""

    def __init__(self, folder: Path, items: list[Item], reviewer: str, repo_id: str | None = None) -> None:
        self.folder, self.items, self.reviewer, self.repo_id = folder, items, reviewer, repo_id
        self.standing = read_decisions(folder)

    def status(self, index: int) -> str:
        return status(self.standing, self.items[index].correction.file_name)

    def shown(self, index: int, show: str) -> bool:
        """Whether the item is among what ``show`` (one of ``SHOWN``) asks for."""
        state = self.status(index)
        return show == "all" or state == {"not reviewed": "unreviewed"}.get(show, show)

    def groups(self, by: str, show: str) -> list[tuple[str, int]]:
        """The groups with something to show, largest first, and how many each holds."""
        counts = Counter(item.group(by) for i, item in enumerate(self.items) if self.shown(i, show))
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def members(self, by: str, group: str | None, show: str) -> list[int]:
        return [i for i, item in enumerate(self.items) if self.shown(i, show) and item.group(by) == group]

    def flagged(self) -> list[int]:
        return [i for i in range(len(self.items)) if self.status(i) == "flagged"]

    def decide(self, indices: list[int], decision: str, reason: str = "", reviewer: str | None = None) -> int:
        """Record ``decision`` on the items at ``indices`` (on disk before this returns); how many were recorded."""
        return self.record({i: reason for i in indices}, decision, reviewer)

    def record(self, reasons: dict[int, str], decision: str, reviewer: str | None = None) -> int:
        """Record ``decision`` on each item of ``reasons`` with its reason, in one write."""
        decisions = [
            Decision(self.items[i].correction.file_name, decision, reviewer or self.reviewer, now(), why)
            for i, why in reasons.items()
        ]
        try:
            record_decisions(self.folder, decisions)
        except OSError as err:
            raise ReviewError(f"Cannot write {self.folder / REVIEW_FILE}: {err.strerror or err}") from None
        for d in decisions:
            self.standing[d.file_name] = d
        return len(decisions)

    def reject_flagged(self, reason: str = "") -> int:
        """Reject everything flagged, each with its flags' reasons (and ``reason``, if given)."""
        flagged = self.flagged()
        decisions = {
            i: f"{reason or 'flagged'}: {self.standing[self.items[i].correction.file_name].reason}" for i in flagged
        }
        return sum(self.decide([i], REJECT, why) for i, why in decisions.items())

    def flag_new(self) -> int:
        """The automatic pass: flag what it has reasons for and no one decided or flagged yet."""
        fresh = {
            i: "; ".join(item.reasons)
            for i, item in enumerate(self.items)
            if item.reasons and self.status(i) == "unreviewed"
        }
        return self.record(fresh, FLAG, AUTOMATIC)

    def counts(self) -> Counter:
        return Counter(self.status(i) for i in range(len(self.items)))

    def summary(self) -> str:
        c = self.counts()
        return (
            f"{len(self.items)} corrections: {c['accepted']} accepted, {c['rejected']} rejected, "
            f"{c['flagged']} flagged, {c['unreviewed']} not reviewed"
        )

    def caption(self, index: int) -> str:
        item = self.items[index]
        return f"{item.correction.label} · ref {item.opinion.answer} {STATUS_MARKS[self.status(index)]}".rstrip()

    def details(self, index: int) -> str:
        """One correction, everything known of it, as Markdown."""
        item, c = self.items[index], self.items[index].correction
        lines = [
            f"**{c.file_name}** — labelled **{c.label}**, the model had answered {c.answer} ({c.model})",
            f"reference: {item.opinion.answer} at {100 * item.opinion.score:.1f}%"
            + (f", the label at {100 * item.opinion.label_probability:.2f}%" if item.opinion.label_probability else ""),
            f"sender `{c.sender or '-'}` via {c.channel or '-'}, {c.time}",
            f"status: {self.status(index)}"
            + (f" ({self.standing[c.file_name].reason})" if c.file_name in self.standing else ""),
        ]
        return "\n\n".join(lines)

    def thumbnail(self, index: int) -> np.ndarray:
        """The 28x28 input, 3x larger, as the model saw it."""
        return np.kron(self.items[index].correction.image, np.ones((3, 3), dtype=np.uint8))

    def upload(self, token: str | None = None) -> str:
        """``review.jsonl`` up to the dataset repo the corrections came from; one line saying what happened."""
        if self.repo_id is None:
            return f"Decisions are in {self.folder / REVIEW_FILE}."
        from huggingface_hub import HfApi

        from training.push import explain_hub_error

        try:
            HfApi(token=token).upload_file(
                path_or_fileobj=self.folder / REVIEW_FILE,
                path_in_repo=REVIEW_FILE,
                repo_id=self.repo_id,
                repo_type="dataset",
                commit_message=f"Review: {self.summary()}",
            )
        except Exception as err:  # one line, whatever failed; the local file stays
            return f"Not uploaded: {explain_hub_error(err, self.repo_id)} The decisions are kept locally."
        return f"Uploaded {REVIEW_FILE} to {self.repo_id}: {self.summary()}."


def corrections_folder(source: str, workdir: str | None) -> tuple[Path, str | None]:
    """The folder to review (downloaded first for a dataset repo), and the repo id if it came from one."""
    if is_local_reference(source):
        folder = Path(source)
        if not folder.is_dir():
            raise ReviewError(f"{source} is not a folder or a dataset repo id (USER/NAME).")
        return folder, None
    from huggingface_hub import snapshot_download

    from training.push import explain_hub_error

    folder = Path(workdir or f"review-{source.replace('/', '--')}")
    try:
        snapshot_download(source, repo_type="dataset", local_dir=folder)
    except Exception as err:  # one line: offline, unknown repo, refused token
        raise ReviewError(f"Cannot download {source}: {explain_hub_error(err, source)}") from None
    return folder, source


def load_review(source: str, reference: str, reviewer: str, workdir: str | None = None) -> Review:
    """The corrections of ``source``, judged by the reference model at ``reference``, ready for the page."""
    from mnist_hub.loading import ModelLoadError, load_model
    from training.extra_data import read_all

    folder, repo_id = corrections_folder(source, workdir)
    try:
        corrections, _ = read_all(folder, source)
    except ValueError as err:
        raise ReviewError(f"{str(err)[0].upper()}{str(err)[1:]}.") from None
    try:
        model = load_model(reference)
    except ModelLoadError as err:
        raise ReviewError(
            f"No reference model: {err} Train one with `python -m training.train --recipe reference "
            f"--output-dir {DEFAULT_REFERENCE}`, or pass --reference."
        ) from None
    opinions = reference_opinions(model, corrections)
    reasons = flag_corrections(corrections, opinions)
    items = [Item(c, o, tuple(r)) for c, o, r in zip(corrections, opinions, reasons, strict=True)]
    return Review(folder, items, reviewer, repo_id)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m training.review", description=__doc__.split("\n\n")[0])
    p.add_argument("source", help="a corrections folder, or the dataset repo the demo uploads them to (USER/NAME)")
    p.add_argument(
        "--reference",
        default=DEFAULT_REFERENCE,
        help="the second-opinion model: a folder or repo written by training.train --recipe reference "
        "(default: %(default)s)",
    )
    p.add_argument("--reviewer", default=None, help="the name decisions are recorded under (default: your login)")
    p.add_argument("--workdir", default=None, help="where a dataset repo is downloaded (default: ./review-USER--NAME)")
    p.add_argument(
        "--reject-flagged",
        action="store_true",
        help="no page: reject what the automatic pass flags, accept the rest not yet decided, and upload",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="where the page listens (default: %(default)s, this machine only: $GRADIO_SERVER_NAME is not read, so a "
        "demo's 0.0.0.0 never exposes the review)",
    )
    p.add_argument("--port", type=int, default=7861, help="(default: %(default)s)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    reviewer = args.reviewer or getpass.getuser()
    try:
        review = load_review(args.source, args.reference, reviewer, args.workdir)
        flagged = review.flag_new()
    except ReviewError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"The automatic pass flagged {flagged} new correction(s). {review.summary()}")
    if args.reject_flagged:
        rejected = review.reject_flagged("flagged by the automatic review")
        waiting = [i for i in range(len(review.items)) if review.status(i) == "unreviewed"]
        accepted = review.decide(waiting, ACCEPT, "not flagged by the automatic review")
        print(f"Rejected {rejected} flagged and accepted {accepted} unflagged. {review.summary()}")
        print(review.upload())
        return 0
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # a maintainer's page tells no one it ran
    from training.review_page import review_page

    review_page(review).launch(server_name=args.host, server_port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
