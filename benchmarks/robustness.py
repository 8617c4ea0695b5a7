"""How well prepare_image + the model read digits drawn the way people draw them, against a naive baseline.

    python benchmarks/robustness.py                      # the bundled model, all 10,000 test digits
    python benchmarks/robustness.py --limit 2000 --model runs/mnist-cnn

1. MNIST test digits redrawn as a person would: enlarged onto a 200-600 px canvas, dark ink on white or on a
   transparent layer, anywhere on the canvas, 35-90 % of its size, strokes thickened. Target: within 1 point of
   the clean test accuracy.
2. scikit-learn's ``load_digits`` (1,797 digits by other writers, 8x8, upscaled). Target: at least 90 %.
The naive baseline converts to grey, squashes the whole picture to 28x28 and inverts it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mnist_hub import load_model, mnist_to_tensor, prepare_image
from mnist_hub.synthetic import redraw
from training.data import load_mnist


def naive(image: Image.Image) -> torch.Tensor:
    """What many demos do: grey, squash to 28x28, invert."""
    grey = image.convert("L").resize((28, 28), Image.Resampling.BILINEAR)
    return 1.0 - torch.from_numpy(np.asarray(grey, dtype=np.float32) / 255)[None, None]


def accuracy(model, inputs: list[torch.Tensor | None], labels: np.ndarray) -> float:
    blank = torch.zeros(1, 1, 28, 28)
    batch = torch.cat([x if x is not None else blank for x in inputs])
    predictions = model.predict_proba(batch).argmax(1).numpy()
    return float((predictions == labels).mean())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="model folder or repo id (default: the bundled model)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--limit", type=int, default=None, help="use the first N test digits")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--update-readme", action="store_true", help="write the table into benchmarks/README.md")
    args = p.parse_args()
    model = load_model(args.model)
    rng = np.random.default_rng(args.seed)

    images, labels = load_mnist(args.data_dir, train=False)
    images, labels = images[: args.limit].numpy(), labels[: args.limit].numpy()
    clean = accuracy(model, list(mnist_to_tensor(torch.from_numpy(images)).split(1)), labels)
    clean_prepared = accuracy(model, [prepare_image(d) for d in images], labels)
    ours_inputs, naive_inputs, seconds = [], [], 0.0
    for digit in images:  # one canvas at a time: 10,000 canvases would take gigabytes
        drawing = redraw(digit, rng)
        start = time.perf_counter()
        ours_inputs.append(prepare_image(drawing))
        seconds += time.perf_counter() - start
        naive_inputs.append(naive(drawing))
    ours = accuracy(model, ours_inputs, labels)
    per_image_ms = 1000 * seconds / len(images)
    baseline = accuracy(model, naive_inputs, labels)

    from sklearn.datasets import load_digits

    digits = load_digits()
    big = [
        Image.fromarray((d / 16 * 255).astype(np.uint8), "L").resize((64, 64), Image.Resampling.BILINEAR)
        for d in digits.images
    ]
    sk_ours = accuracy(model, [prepare_image(im) for im in big], digits.target)
    sk_naive_inputs = [1.0 - naive(im) for im in big]  # already white on black: the naive path must not invert
    sk_naive = accuracy(model, sk_naive_inputs, digits.target)

    n = len(labels)
    sk_name = f"scikit-learn load_digits, 8x8 upscaled ({len(digits.target):,})"
    table = "\n".join(
        [
            f"{'accuracy of the bundled model on':<48}{'prepare_image':>14}{'naive':>9}",
            f"{f'MNIST test digits as stored ({n:,})':<48}{100 * clean_prepared:>13.2f}%{100 * clean:>8.2f}%",
            f"{f'MNIST test digits redrawn on canvases ({n:,})':<48}{100 * ours:>13.2f}%{100 * baseline:>8.2f}%",
            f"{sk_name:<48}{100 * sk_ours:>13.2f}%{100 * sk_naive:>8.2f}%",
            "",
            f"redrawn vs clean: {100 * (ours - clean):+.2f} points (target: within 1 point); "
            f"load_digits: {100 * sk_ours:.2f}% (target: at least 90%)",
            f"prepare_image: {per_image_ms:.2f} ms per 200-600 px canvas (mean)",
        ]
    )
    print(table)
    if args.update_readme:
        from benchmarks.readme import update_readme_block

        update_readme_block("robustness", table, "python benchmarks/robustness.py --update-readme")


if __name__ == "__main__":
    main()
