"""Users' corrections as training data: ``python -m training.train --extra-data PATH_OR_DATASET_REPO``.

A corrections folder (``mnist_hub.corrections``: PNGs and ``metadata.jsonl``) or a Hub dataset repo holding one is
read, with the review's decisions beside it (``training.decisions``): only corrections a person accepted
(``python -m training.review``) are used, unless ``--unreviewed`` lets in every one not rejected. A fixed, seeded
share of them is held out to measure the model on, the rest joins training — digit labels as training digits (each
counted ``--extra-weight`` times), "not a digit" as outliers for the refusal training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mnist_hub.corrections import NOT_A_DIGIT_LABEL, Correction, read_corrections
from mnist_hub.files import hub_reachable, is_local_reference
from training.decisions import read_decisions, status

HELD_OUT_SHARE = 0.2  # of the corrections, measured on and never trained on
SPLIT_SEED = 0  # the split depends on the data only, not on the training seed: comparable across runs


@dataclass(frozen=True)
class ExtraData:
    """The corrections split for training and for evaluation; images (N, 1, 28, 28) in [0, 1]."""

    source: str
    revision: str | None
    train_digits: torch.Tensor
    train_labels: torch.Tensor
    train_outliers: torch.Tensor
    held_out: list[Correction]
    skipped: int = 0  # lines of the dataset that were not corrections
    review: dict | None = None  # what the review decided: counts by status, and whether unreviewed ones were used

    def record(self, weight: float) -> dict:
        return {
            "source": self.source,
            "revision": self.revision,
            "review": self.review,
            "weight": weight,
            "train_digits": len(self.train_labels),
            "train_not_digits": len(self.train_outliers),
            "held_out": len(self.held_out),
            "skipped_lines": self.skipped,
        }


def as_tensor(corrections: list[Correction]) -> torch.Tensor:
    if not corrections:
        return torch.zeros(0, 1, 28, 28)
    return torch.from_numpy(np.stack([c.image for c in corrections])).unsqueeze(1).float() / 255


def split_reference(reference: str) -> tuple[str, str | None]:
    """``user/name@revision`` as (``user/name``, ``revision``); a folder, or a repo id without ``@``, as it is."""
    repo_id, at, revision = reference.rpartition("@")
    if at and revision and repo_id and not Path(reference).exists() and not is_local_reference(repo_id):
        return repo_id, revision
    return reference, None


def load_extra_data(reference: str, unreviewed: bool = False) -> ExtraData:
    """Read a corrections folder, or download a dataset repo's (``user/name``, or ``user/name@revision``).

    The corrections are untrusted data (anyone may write a dataset): each line is checked as
    ``read_corrections`` says, and the lines skipped are counted and the first reason printed. Only accepted
    corrections are kept, or with ``unreviewed`` every one not rejected (``reviewed``)."""
    revision = None
    repo_id, wanted = split_reference(reference)
    if is_local_reference(repo_id):
        folder, source = Path(reference), str(reference)
    else:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError

        offline = not hub_reachable(repo_id, "README.md", wanted, {"repo_type": "dataset"})
        try:
            folder = Path(snapshot_download(repo_id, repo_type="dataset", revision=wanted, local_files_only=offline))
        except LocalEntryNotFoundError:
            raise ValueError(f"the Hub cannot be reached and {reference} is not in the local Hub cache") from None
        source, revision = repo_id, folder.name  # a snapshot folder is named after its commit
    everything, skipped = read_all(folder, reference)
    corrections, review = reviewed(everything, folder, unreviewed, reference)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(corrections))
    held = round(HELD_OUT_SHARE * len(corrections))
    held_out = [corrections[i] for i in order[:held]]
    train = [corrections[i] for i in order[held:]]
    digits = [c for c in train if c.label != NOT_A_DIGIT_LABEL]
    return ExtraData(
        source=source,
        revision=revision,
        train_digits=as_tensor(digits),
        train_labels=torch.tensor([int(c.label) for c in digits], dtype=torch.int64),
        train_outliers=as_tensor([c for c in train if c.label == NOT_A_DIGIT_LABEL]),
        held_out=held_out,
        skipped=skipped,
        review=review,
    )


def read_all(folder: Path, reference: str) -> tuple[list[Correction], int]:
    """Every correction in ``folder`` and how many lines were skipped (the first reason printed); a folder with none
    is a ``ValueError``."""
    problems: list[str] = []
    corrections = read_corrections(folder, problems)
    if problems:
        print(f"Skipped {len(problems)} line(s) of {reference} that are not corrections; the first: {problems[0]}")
    if not corrections:
        raise ValueError(f"{reference} holds no corrections (PNG files listed in metadata.jsonl)")
    return corrections, len(problems)


def reviewed(
    corrections: list[Correction], folder: Path, unreviewed: bool, reference: str
) -> tuple[list[Correction], dict]:
    """The corrections training may use under the review's decisions, and what was decided, said in a few lines:
    the flagged ones training would use are counted and named."""
    standing = read_decisions(folder)
    by_status: dict[str, list[Correction]] = {"accepted": [], "rejected": [], "flagged": [], "unreviewed": []}
    for correction in corrections:
        by_status[status(standing, correction.file_name)].append(correction)
    counts = {name: len(group) for name, group in by_status.items()}
    waiting = by_status["flagged"] + by_status["unreviewed"]
    used = by_status["accepted"] + (waiting if unreviewed else [])
    print(
        f"Review of {reference}: {counts['accepted']} accepted, {counts['rejected']} rejected, "
        f"{counts['flagged']} flagged and {counts['unreviewed']} not looked at yet"
        + (" (training on them too: --unreviewed)" if unreviewed and waiting else "")
    )
    if unreviewed and by_status["flagged"]:
        named = "; ".join(f"{c.file_name} ({standing[c.file_name].reason})" for c in by_status["flagged"][:10])
        more = len(by_status["flagged"]) - 10
        print(f"Flagged corrections trained on: {named}" + (f"; and {more} more" if more > 0 else ""))
    elif waiting and not unreviewed:
        print(f"Left out until reviewed: {len(waiting)} (python -m training.review {reference}, or --unreviewed)")
    if not used:
        raise ValueError(
            f"none of the {len(corrections)} corrections in {reference} is accepted yet: review them "
            f"(python -m training.review {reference}) or pass --unreviewed"
        )
    return used, {**counts, "unreviewed_used": unreviewed}


def held_out_figures(model, extra: ExtraData) -> dict:
    """How the model that answered in the demo ("before", from each correction's recorded answer) and this model
    ("after") do on the held-out corrections: the share answered right, "not a digit" counted as an answer."""
    if not extra.held_out:
        return {"count": 0, "accuracy_before": None, "accuracy_after": None}
    from mnist_hub.model import digit_score

    probabilities = model.calibrated_proba(as_tensor(extra.held_out))
    is_digit = model.is_digit(digit_score(probabilities))
    answers = [str(int(p.argmax())) if d else NOT_A_DIGIT_LABEL for p, d in zip(probabilities, is_digit, strict=True)]
    labels = [c.label for c in extra.held_out]
    return {
        "count": len(labels),
        "accuracy_before": round(float(np.mean([c.answer == c.label for c in extra.held_out])), 6),
        "accuracy_after": round(float(np.mean([a == b for a, b in zip(answers, labels, strict=True)])), 6),
    }
