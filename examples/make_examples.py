"""Write the example pictures that the README, the demo's examples and the tests share.

    python examples/make_examples.py [--data-dir DIR]

A drawn 7, a phone photo of a handwritten 2 on ruled paper, a number "2024" written by four MNIST writers, and a
star drawn as a doodle. The photo and the number are made from MNIST *test* digits (never trained on) by
``training.synthetic``; the same seeds give the same files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.data import load_mnist
from training.synthetic import SEVEN, STAR, draw, photograph, write_number

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python examples/make_examples.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=None, help="MNIST folder (default: $MNIST_DATA_DIR, else ./data)")
    args = p.parse_args(argv)
    images, labels = load_mnist(args.data_dir, train=False)
    first = {d: next(i for i in range(len(labels)) if int(labels[i]) == d) for d in range(10)}
    draw(SEVEN, width=16).save(HERE / "digit.png")
    photograph(images[first[2]].numpy(), np.random.default_rng(4), "notebook").save(HERE / "photo.jpg", quality=85)
    digits = [images[first[d]].numpy() for d in (2, 0, 2, 4)]
    write_number(digits, np.random.default_rng(2)).save(HERE / "number.png")
    draw(STAR, canvas=300, box=(0.1, 0.1, 0.8, 0.8), width=12).save(HERE / "doodle.png")
    for name in ("digit.png", "photo.jpg", "number.png", "doodle.png"):
        print(f"wrote examples/{name} ({(HERE / name).stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
