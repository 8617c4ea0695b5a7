"""Whole numbers read by recognition (mnist_hub.preprocessing.numbers), against the connected-pieces reading before it.

    python benchmarks/number_reading.py                     # 100 numbers per gap, 1,000 per set
    python benchmarks/number_reading.py --update-readme

Numbers of 2-4 MNIST test digits, read as the demo shows them (``number_text(predict_number(model, picture))``):
a number counts when every digit is read right and there are no more or fewer.
1. By the gap between the digits' boxes at a digit height of 120 px (``synthetic.crowded_number`` with a fixed
   gap; negative: the boxes overlap), as issue 30 measured it.
2. Touching and overlapping numbers made by ``crowded_number`` (gap -10 % to +2 % of the height, random pens,
   held out: the segmentation was never tuned on it), by ``touching_number`` from *training* digits (what it was
   tuned on), and separated numbers (``write_number``, the robustness table's row).
3. The server time to read a 4-digit number (``crowded_number`` at 120 px), median and 95th percentile.
'before' is ``split_digits`` + ``prepare_ink`` at ``--before`` (connected pieces, merged when they overlap
horizontally), scored by the same model in this process on the same pictures.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.readme import report
from benchmarks.robustness import numbers_read_by, preprocessing_at
from mnist_hub import load_model
from mnist_hub.numbers import number_text, predict_number
from mnist_hub.predict import classify
from training.data import load_mnist
from training.synthetic import crowded_number, touching_number, write_number

BEFORE = "efa80f5"  # the last revision reading numbers by connected pieces alone
GAPS = (30, 10, 0, -8, -16)  # px between the digits' boxes at a digit height of 120 px (issue 30's table)


def reading_at(revision: str, model) -> Callable[[object], str]:
    """The number a picture read as at a git revision: its ``split_digits`` and ``prepare_ink``, today's model."""
    module = preprocessing_at(revision)

    def read(picture: object) -> str:
        inputs = [module.prepare_ink(piece) for piece in module.split_digits(picture)]
        return number_text(classify(model, torch.cat(inputs))) if inputs else ""

    return read


def missed(value: float, target: float) -> str:
    """``": not met"`` when a figure falls short of its target, so that the table says so itself."""
    return "" if value >= target else ": not met"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="model folder or repo id (default: the bundled model)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--count", type=int, default=100, help="numbers per gap (default: %(default)s)")
    p.add_argument("--sets", type=int, default=1000, help="numbers per set of part 2 (default: %(default)s)")
    p.add_argument("--runs", type=int, default=100, help="4-digit numbers timed (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--before", default=BEFORE, help=f"git revision of the reading to compare (default {BEFORE})")
    p.add_argument("--update-readme", action="store_true", help="write the table into benchmarks/README.md")
    args = p.parse_args()
    torch.set_num_threads(1)  # the server reads one picture per request
    model = load_model(args.model)
    test_images, test_labels = (t.numpy() for t in load_mnist(args.data_dir, train=False))
    train_images, train_labels = (t.numpy() for t in load_mnist(args.data_dir, train=True))
    readers = {
        "recognition": lambda picture: number_text(predict_number(model, picture)),
        "before": reading_at(args.before, model),
    }

    lines = [f"{'numbers of 2-4 digits read exactly':<58}{'recognition':>12}{'before':>9}"]
    for gap in GAPS:
        figures = numbers_read_by(
            readers,
            lambda digits, rng, gap=gap: crowded_number(digits, rng, gap=gap, height=120),
            test_images,
            test_labels,
            np.random.default_rng(args.seed + 100 + gap),
            args.count,
        )
        label = f"gap {gap:+d} px at a digit height of 120 px ({args.count:,})"
        lines.append(f"{label:<58}{100 * figures['recognition']:>11.1f}%{100 * figures['before']:>8.1f}%")
    sets = {
        "touching or overlapping, held out": (crowded_number, test_images, test_labels, 7000),
        "touching or overlapping, training digits, tuned on": (touching_number, train_images, train_labels, 8000),
        "separated (write_number)": (write_number, test_images, test_labels, 9000),
    }
    results = {}
    for name, (make, images, labels, seed) in sets.items():
        results[name] = numbers_read_by(
            readers, make, images, labels, np.random.default_rng(args.seed + seed), args.sets
        )
        label = f"{name} ({args.sets:,})"
        lines.append(f"{label:<58}{100 * results[name]['recognition']:>11.2f}%{100 * results[name]['before']:>8.2f}%")

    rng = np.random.default_rng(args.seed + 10_000)
    timings = {name: [] for name in readers}
    for _ in range(args.runs):
        picture = crowded_number([test_images[i] for i in rng.integers(0, len(test_labels), 4)], rng, height=120)
        for name, reader in readers.items():
            start = time.perf_counter()
            reader(picture)
            timings[name].append(1000 * (time.perf_counter() - start))
    p50 = {name: float(np.percentile(t, 50)) for name, t in timings.items()}
    p95 = {name: float(np.percentile(t, 95)) for name, t in timings.items()}
    held_out = results["touching or overlapping, held out"]["recognition"]
    separated = results["separated (write_number)"]["recognition"]
    table = "\n".join(
        [
            *lines,
            "",
            f"touching or overlapping: {100 * held_out:.2f}% read exactly "
            f"(target: at least 90%{missed(held_out, 0.9)}); separated: {100 * separated:.2f}% "
            f"(target: at least 97%{missed(separated, 0.97)})",
            f"a 4-digit number at 120 px: {p50['recognition']:.1f} ms median, {p95['recognition']:.1f} ms p95 "
            f"(target: at most 20 ms); before: {p50['before']:.1f} / {p95['before']:.1f} ms "
            f"({args.runs} numbers, 1 thread)",
            f"'before' reads by connected pieces (split_digits at {args.before})",
        ]
    )
    report("numbers", table, "python benchmarks/number_reading.py --update-readme", args.update_readme)


if __name__ == "__main__":
    main()
