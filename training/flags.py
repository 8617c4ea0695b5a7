"""The review's automatic first pass: which corrections a person should look at before any is trained on.

A correction is flagged when
- the reference model (``--recipe reference``: a network 4x as wide as the demo's, trained on MNIST; a second
  opinion) gives its label less than ``LABEL_DOUBT`` of probability — a 7 labelled "1";
- it says "not a digit" of a picture the reference reads as a sure digit (``SURE_DIGIT``);
- it nearly repeats an earlier correction (``NEAR_DUPLICATE``, the same picture sent again, by anyone);
- its sender's corrections mostly disagree with the reference (``SENDER_DOUBT`` of at least ``SENDER_MINIMUM``), or
  arrive in a burst (``BURST_COUNT`` within ``BURST_SECONDS``): a flood is flagged whole, also the pictures in it
  the reference happens to agree with.
The thresholds are the poisoning benchmark's (benchmarks/poisoning.py), measured on pictures no rule was tuned on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sklearn.neighbors import NearestNeighbors

from mnist_hub.corrections import NOT_A_DIGIT_LABEL, Correction
from mnist_hub.model import ConvolutionalNetwork
from training.extra_data import as_tensor

LABEL_DOUBT = 0.02  # the reference's probability of the label below which the label is doubted
SURE_DIGIT = 0.99  # the reference's top probability above which "not a digit" is doubted
NEAR_DUPLICATE = 1.0  # Euclidean distance of two 28x28 inputs in [0, 1] (two different MNIST digits: 5 and more)
SENDER_MINIMUM = 5  # corrections of one sender before the sender is judged as a whole
SENDER_DOUBT = 0.5  # share of a sender's corrections the reference doubts that flags all of them
BURST_COUNT, BURST_SECONDS = 10, 120  # corrections from one sender this close together are a burst


@dataclass(frozen=True)
class Opinion:
    """What the reference model says of one correction."""

    answer: int  # its most likely digit
    score: float  # its probability
    label_probability: float | None  # of the correction's digit (None for "not a digit")


def reference_opinions(reference: ConvolutionalNetwork, corrections: list[Correction]) -> list[Opinion]:
    """The reference's calibrated probabilities for each correction's 28x28 input."""
    if not corrections:
        return []
    probabilities = reference.calibrated_proba(as_tensor(corrections))
    opinions = []
    for correction, p in zip(corrections, probabilities, strict=True):
        digit = correction.digit
        top = int(p.argmax())
        opinions.append(Opinion(top, float(p[top]), None if digit is None else float(p[digit])))
    return opinions


def doubt(correction: Correction, opinion: Opinion) -> str | None:
    """Why the reference doubts this label, or None."""
    if correction.label == NOT_A_DIGIT_LABEL:
        if opinion.score >= SURE_DIGIT:
            return f"'not a digit', but the reference reads a sure {opinion.answer} ({100 * opinion.score:.1f}%)"
        return None
    if opinion.label_probability is not None and opinion.label_probability < LABEL_DOUBT:
        return (
            f"the reference reads {opinion.answer} ({100 * opinion.score:.1f}%), "
            f"{correction.label} at {100 * opinion.label_probability:.2f}%"
        )
    return None


def near_duplicates(corrections: list[Correction]) -> dict[int, int]:
    """Each correction that nearly repeats an earlier one, mapped to the earliest it repeats."""
    if len(corrections) < 2:
        return {}
    vectors = np.stack([c.image.reshape(-1) for c in corrections]).astype(np.float32) / 255
    graph = NearestNeighbors(radius=NEAR_DUPLICATE).fit(vectors).radius_neighbors_graph(vectors, mode="connectivity")
    repeats = {}
    for i in range(len(corrections)):
        earlier = [j for j in graph.indices[graph.indptr[i] : graph.indptr[i + 1]] if j < i]
        if earlier:
            repeats[i] = min(repeats.get(j, j) for j in earlier)
    return repeats


def seconds(time: str) -> float | None:
    try:
        return datetime.fromisoformat(time).timestamp()
    except ValueError:
        return None


def bursts(times: list[float | None]) -> set[int]:
    """Positions (in ``times``) of corrections that arrived ``BURST_COUNT`` or more within ``BURST_SECONDS``."""
    known = sorted((t, i) for i, t in enumerate(times) if t is not None)
    inside: set[int] = set()
    start = 0
    for end in range(len(known)):
        while known[end][0] - known[start][0] > BURST_SECONDS:
            start += 1
        if end - start + 1 >= BURST_COUNT:
            inside.update(i for _, i in known[start : end + 1])
    return inside


def flag_corrections(corrections: list[Correction], opinions: list[Opinion]) -> list[list[str]]:
    """Every reason to look at each correction before training on it (an empty list: none)."""
    reasons: list[list[str]] = [[] for _ in corrections]
    doubted = [doubt(c, o) for c, o in zip(corrections, opinions, strict=True)]
    for i, why in enumerate(doubted):
        if why:
            reasons[i].append(why)
    for i, first in near_duplicates(corrections).items():
        reasons[i].append(f"nearly the same picture as {corrections[first].file_name}")
    by_sender: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(corrections):
        if c.sender:  # records older than sender keys have none
            by_sender[c.sender].append(i)
    for sender, members in by_sender.items():
        disagreeing = sum(1 for i in members if doubted[i])
        if len(members) >= SENDER_MINIMUM and disagreeing / len(members) >= SENDER_DOUBT:
            for i in members:
                reasons[i].append(f"sender {sender[:8]}: {disagreeing} of {len(members)} doubted by the reference")
        in_burst = bursts([seconds(corrections[i].time) for i in members])
        for k in in_burst:
            reasons[members[k]].append(f"sender {sender[:8]}: part of a burst ({BURST_COUNT}+ in {BURST_SECONDS} s)")
    return reasons
