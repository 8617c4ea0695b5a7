"""Does the corrections loop hold against poisoning? Flipped labels from many senders, trained on with and without
the review's automatic pass.

    python benchmarks/poisoning.py --reference runs/reference                  # ~25 minutes on 2 cores
    python benchmarks/poisoning.py --reference runs/reference --update-readme

The corrections, written by the demo's own store (``serving.store``) as the demo writes them:
- 2,000 poisoned ones from 50 senders, 40 each: MNIST *training* digits redrawn as pad drawings
  (``synthetic.redraw``, seed 21), labelled wrongly — 40 senders flip one digit into another (7 -> "1", 4 -> "9",
  ...), 10 say "not a digit" of drawn digits; half the senders send 30 in a minute and 10 an hour later (the demo's
  limit per address is 30 an hour), half spread them over 80 minutes;
- 300 honest ones from 150 senders, over a week: other redrawn training digits (seed 11) the bundled model
  misreads or refuses, labelled rightly.
None of these pictures (training digits, other seeds) is one the flags' thresholds were set on, and the measure is
the test digits, redrawn with the gate's seed.

Three models are trained by ``training.train`` with the same recipe and seed: without corrections, on every
correction (``--unreviewed``, no review), and on what the automatic pass leaves (``training.review
--reject-flagged``, no person). Reported: each digit's accuracy on the redrawn test digits and on MNIST test, the
change from the model without corrections, and how many honest corrections the review kept.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.readme import report
from mnist_hub import load_model
from mnist_hub.corrections import NOT_A_DIGIT_LABEL, read_corrections
from mnist_hub.predict import classify
from mnist_hub.preprocessing import prepare_image
from serving.readings import answer_of as recorded_answer
from serving.store import CorrectionStore
from training.data import load_mnist
from training.decisions import REVIEW_FILE, read_decisions, status
from training.gate import gate_sets, measure
from training.synthetic import redraw

ROOT = Path(__file__).resolve().parents[1]
FLIPS = [(7, "1"), (1, "7"), (4, "9"), (9, "4"), (3, "8"), (5, "6"), (2, "7"), (6, "0"), (8, "3"), (0, "6")]
SENDERS, PER_SENDER, NOT_DIGIT_SENDERS = 50, 40, 10
HONEST, HONEST_SENDERS = 300, 150
START = datetime(2026, 11, 30, tzinfo=timezone.utc)
TARGET_POINTS, TARGET_KEPT = 0.5, 0.9


def answer_of(model, x: torch.Tensor) -> str:
    """The demo's answer to a prepared picture, as its corrections record it."""
    return recorded_answer(classify(model, x)[0])


def drawn(digit: np.ndarray, rng: np.random.Generator) -> torch.Tensor | None:
    return prepare_image(redraw(digit, rng), printed=False)


def write_corpus(folder: Path, images: np.ndarray, labels: np.ndarray, model) -> set[str]:
    """The poisoned and honest corrections, stored by the demo's store; returns the honest ones' file names."""
    store = CorrectionStore(folder, max_bytes=10**9)
    keys = np.random.default_rng(5)
    order = np.random.default_rng(3).permutation(len(labels))
    half = len(order) // 2
    rng = np.random.default_rng(21)
    pool = {d: [i for i in order[:half] if labels[i] == d] for d in range(10)}
    for s in range(SENDERS):
        sender = keys.bytes(8).hex()
        source, label = FLIPS[s % len(FLIPS)] if s >= NOT_DIGIT_SENDERS else (s % 10, NOT_A_DIGIT_LABEL)
        start = START + timedelta(hours=int(keys.integers(0, 24 * 7)))
        for k in range(PER_SENDER):
            x = drawn(images[pool[source].pop()], rng)
            while x is None:
                x = drawn(images[pool[source].pop()], rng)
            # bursts: 30 in a minute and 10 an hour later; spread: one every two minutes
            at = start + (timedelta(seconds=2 * k) if k < 30 else timedelta(hours=1, seconds=2 * k))
            at = at if s % 2 == 0 else start + timedelta(minutes=2 * k)
            store.save(x, label, answer_of(model, x), "bundled", sender, "page", at)
    honest, rng = set(), np.random.default_rng(11)
    senders = [keys.bytes(8).hex() for _ in range(HONEST_SENDERS)]
    for i in order[half:]:
        x = drawn(images[i], rng)
        if x is None or answer_of(model, x) == str(labels[i]):
            continue
        at = START + timedelta(seconds=int(keys.integers(0, 7 * 24 * 3600)))
        name = store.save(x, str(labels[i]), answer_of(model, x), "bundled", senders[len(honest) % 150], "page", at)
        honest.add(f"{store.shard.name}/{name}")
        if len(honest) == HONEST:
            return honest
    raise SystemExit(f"only {len(honest)} honest corrections found")


def train(output: Path, *extra: str, recipe: str, data_dir: str | None, reuse: bool = False) -> Path:
    if reuse and (output / "metrics.json").is_file():
        return output
    command = [sys.executable, "-m", "training.train", "--recipe", recipe, "--output-dir", str(output), "--quiet"]
    command += ["--gate-drawn", "0", *(["--data-dir", data_dir] if data_dir else []), *extra]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return output


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--reference", required=True, help="the review's reference model (training.train --recipe reference)"
    )
    p.add_argument("--recipe", default="best", help="the recipe all three models are trained with (%(default)s)")
    p.add_argument("--workdir", default="runs/poisoning", help="(default: %(default)s)")
    p.add_argument("--drawn", type=int, default=10_000, help="redrawn test digits measured (default: %(default)s)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--update-readme", action="store_true", help="write the table into benchmarks/README.md")
    p.add_argument("--reuse", action="store_true", help="keep the workdir's corrections, review and models if there")
    args = p.parse_args()
    work = Path(args.workdir)
    everything, reviewed, honest_list = work / "corrections", work / "corrections-reviewed", work / "honest.txt"
    if not (args.reuse and honest_list.is_file() and (reviewed / REVIEW_FILE).is_file()):
        shutil.rmtree(work, ignore_errors=True)
        images, labels = (t.numpy() for t in load_mnist(args.data_dir, train=True))
        honest_list.parent.mkdir(parents=True, exist_ok=True)
        honest_list.write_text("\n".join(sorted(write_corpus(everything, images, labels, load_model()))) + "\n")
        shutil.copytree(everything, reviewed)
        review = [sys.executable, "-m", "training.review", str(reviewed), "--reference", args.reference]
        subprocess.run([*review, "--reject-flagged", "--reviewer", "benchmark"], cwd=ROOT, check=True)
    honest = set(honest_list.read_text().split())
    standing = read_decisions(reviewed)
    corrections = read_corrections(reviewed)
    kept = {c.file_name for c in corrections if status(standing, c.file_name) == "accepted"}
    poisoned_kept = len(kept - honest)

    at = {"recipe": args.recipe, "data_dir": args.data_dir, "reuse": args.reuse}
    models = {
        "no corrections": train(work / "baseline", **at),
        "all corrections": train(work / "all", *["--extra-data", str(everything), "--unreviewed"], **at),
        "after the automatic review": train(work / "reviewed", *["--extra-data", str(reviewed)], **at),
        "none, another seed": train(work / "seed-43", *["--seed", "43"], **at),  # what retraining alone moves
    }
    test_images, test_labels = load_mnist(args.data_dir, train=False)
    sets = gate_sets(test_images, test_labels, args.drawn)
    figures = {name: measure(load_model(str(folder)), sets) for name, folder in models.items()}
    table = render(figures, [s.name for s in sets], {s.name: len(s.labels) for s in sets})
    worst = {name: largest_fall(figures, name) for name in list(figures)[1:]}
    table += (
        f"\n\nhonest corrections kept by the automatic review: {len(kept & honest)} of {len(honest)} "
        f"({100 * len(kept & honest) / len(honest):.1f}%, target: at least {100 * TARGET_KEPT:.0f}%); poisoned kept: "
        f"{poisoned_kept} of {SENDERS * PER_SENDER}\nlargest fall of a digit's accuracy: "
        f"{worst['after the automatic review']:.2f} points after the automatic review (target: at most "
        f"{TARGET_POINTS}), {worst['all corrections']:.2f} points trained on everything; retraining alone (no "
        f"corrections, seed 43 instead of 42): {worst['none, another seed']:.2f} points"
    )
    report("poisoning", table, "python benchmarks/poisoning.py --reference runs/reference", args.update_readme)


def largest_fall(figures: dict[str, dict], name: str) -> float:
    """The largest fall, in points, of a digit's accuracy on any set from the model without corrections."""
    base = figures["no corrections"]
    return max(100 * (base[s]["accuracy"][d] - figures[name][s]["accuracy"][d]) for s in base for d in range(10))


def render(figures: dict[str, dict], sets: list[str], counts: dict[str, int]) -> str:
    names = list(figures)
    lines = []
    for s in sets:
        lines.append(f"{s} ({counts[s]:,}): accuracy per digit, and the change from the model without corrections")
        lines.append(f"{'digit':<8}" + "".join(f"{n:>30}" for n in names))
        for d in range(10):
            base = figures[names[0]][s]["accuracy"][d]
            cells = [f"{100 * base:.2f}%"] + [
                f"{100 * figures[n][s]['accuracy'][d]:.2f}% ({100 * (figures[n][s]['accuracy'][d] - base):+.2f})"
                for n in names[1:]
            ]
            lines.append(f"{d:<8}" + "".join(f"{c:>30}" for c in cells))
        refused = [f"{100 * figures[n][s]['refused']:.2f}%" for n in names]
        lines.append(f"{'refused':<8}" + "".join(f"{c:>30}" for c in refused))
        lines.append("")
    return "\n".join(lines).rstrip()


if __name__ == "__main__":
    main()
