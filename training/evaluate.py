"""Evaluate a model on the 10,000 MNIST test images and, optionally, (re)write its evaluation artifacts.

python -m training.evaluate                          # the bundled model (or $MNIST_HUB_MODEL)
python -m training.evaluate runs/mnist-cnn --output-dir runs/mnist-cnn
python -m training.evaluate user/mnist-cnn --revision v2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from mnist_hub.files import WEIGHTS_NAME, fetch_file, is_local_reference
from mnist_hub.loading import ModelLoadError, load_model, resolve_model_id
from mnist_hub.model import CHUNK_SIZE
from training.artifacts import read_metrics, sha256_of, write_evaluation_artifacts
from training.atomic import move_files_into
from training.card import write_model_card
from training.data import DataError, load_mnist
from training.gate import DEFAULT_DRAWN, gate_figures
from training.metrics import evaluate
from training.refusal import evaluate_refusal, refusal_report, refused_mask


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "model",
        nargs="?",
        default=None,
        help="model folder or Hub repo id (default: $MNIST_HUB_MODEL, else the bundled model)",
    )
    p.add_argument("--revision", default=None, help="Hub branch, tag or commit (default: $MNIST_HUB_REVISION)")
    p.add_argument("--data-dir", default=None, help="MNIST root (default: $MNIST_DATA_DIR, else ./data)")
    p.add_argument(
        "--output-dir",
        default=None,
        help="write metrics.json, confusion_matrix.png, misses.safetensors (and training_curves.png) here",
    )
    p.add_argument("--test-limit", type=int, default=None, help="evaluate on the first N test images only")
    p.add_argument(
        "--gate-drawn",
        type=int,
        default=DEFAULT_DRAWN,
        help="with --output-dir: test digits redrawn for the per-digit push gate (default: %(default)s)",
    )
    p.add_argument("--batch-size", type=int, default=CHUNK_SIZE, help="images per forward pass (default: %(default)s)")
    return p.parse_args(argv)


def run(args: argparse.Namespace) -> None:
    model_id, revision = resolve_model_id(args.model, args.revision)
    model = load_model(model_id, revision)
    images, labels = load_mnist(args.data_dir, train=False)
    images, labels = images[: args.test_limit], labels[: args.test_limit]
    result = evaluate(model, images, labels, batch_size=args.batch_size)
    refusal = evaluate_refusal(model, images, labels)
    print(f"Model: {model_id}" + (f" (revision {revision})" if revision else ""))
    print(result.report())
    print("\n" + refusal_report(refusal))
    if args.output_dir is None:
        return

    sha = sha256_of(fetch_file(model_id, WEIGHTS_NAME, revision))  # the exact file load_model read
    local = is_local_reference(model_id)
    previous = read_metrics(model_id) if local else None
    same_weights = previous is not None and previous.get("weights_sha256") == sha
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".evaluate-", dir=output_dir) as staging:
        write_evaluation_artifacts(
            staging,
            result,
            images,
            weights_sha256=sha,
            parameters=sum(p.numel() for p in model.parameters() if p.requires_grad),
            training=previous.get("training") if same_weights else None,
            history=previous.get("history") if same_weights else None,
            snapshots=previous.get("snapshots") if same_weights else None,  # measured by training, beside the weights
            source=None if local else {"model": model_id, "revision": revision},
            refusal=refusal,
            refused=refused_mask(model, images),
            gate=gate_figures(model, images, labels, args.gate_drawn),
        )
        move_files_into(Path(staging), output_dir)
    print(f"\nWrote evaluation artifacts to {output_dir}")
    if (output_dir / WEIGHTS_NAME).is_file() and sha256_of(output_dir / WEIGHTS_NAME) == sha:
        print(f"Wrote the model card {write_model_card(output_dir)}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        run(args)
    except (ModelLoadError, DataError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
