"""The identity set: pictures whose prepared inputs and readings must not change when code is only reorganised.

    python benchmarks/identity.py --write before.json   # on the revision before the change
    python benchmarks/identity.py --check before.json   # after it: every input and every reading the same

10,208 pictures, made deterministically: the 10,000 MNIST test digits redrawn on canvases (``synthetic.redraw``,
seed 0: dark on white and on transparent layers, every size and pen), 52 desk photos of test digits, 52 numbers
(``write_number``), 52 desk photos of numbers (``photograph_number``) and 52 numbers whose digits touch or overlap
(``crowded_number``: the cuts). For each, the SHA-256 of ``prepare_image``'s input (or that there is none) and of
``predict_number``'s inputs and calibrated probabilities: a change in the last bit of any of them is a difference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mnist_hub import load_model, prepare_image

if (Path(__file__).resolve().parents[1] / "mnist_hub" / "numbers.py").exists():  # since issue 36; --write runs on
    from mnist_hub.numbers import predict_number  # older trees, where an import would find the installed checkout's
else:
    from mnist_hub.predict import predict_number
from training.data import load_mnist
from training.synthetic import crowded_number, photograph, photograph_number, redraw, write_number

PHOTOS = NUMBERS = 52  # of each kind of picture after the redrawn test digits


def pictures(data_dir: str | None):
    """The identity set, in order."""
    images, _ = load_mnist(data_dir, train=False)
    images = images.numpy()
    rng = np.random.default_rng(0)
    for digit in images:
        yield redraw(digit, rng)
    for digit in images[:PHOTOS]:
        yield photograph(digit, rng, "desk")
    for make in (write_number, photograph_number, crowded_number):
        for k in range(NUMBERS):
            yield make([images[(3 * k + j) % len(images)] for j in range(2 + k % 3)], rng)


def digest(model, picture) -> list[str | None]:
    prepared = prepare_image(picture)
    reading = predict_number(model, picture)
    number = hashlib.sha256()
    for p in reading:
        number.update(p.image.numpy().tobytes())
        number.update(p.probabilities.numpy().tobytes())
    return [None if prepared is None else hashlib.sha256(prepared.numpy().tobytes()).hexdigest(), number.hexdigest()]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", metavar="FILE", help="record the set's digests")
    group.add_argument("--check", metavar="FILE", help="compare with a record")
    p.add_argument("--data-dir", default=None)
    args = p.parse_args()
    model = load_model()
    digests = [digest(model, picture) for picture in pictures(args.data_dir)]
    if args.write:
        Path(args.write).write_text(json.dumps(digests))
        print(f"{len(digests):,} pictures recorded in {args.write}")
        return 0
    recorded = json.loads(Path(args.check).read_text())
    differ = [k for k, (a, b) in enumerate(zip(recorded, digests, strict=True)) if a != b]
    print(f"{len(digests):,} pictures: {len(digests) - len(differ):,} identical, {len(differ)} differ {differ[:10]}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
