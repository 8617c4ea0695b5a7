"""Run pictures of digits through the model: ``python -m mnist_hub IMAGE [IMAGE ...]``."""

from __future__ import annotations

import argparse
import sys

from mnist_hub.loading import ModelLoadError, load_model
from mnist_hub.predict import predict
from mnist_hub.preprocessing import ImageError


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m mnist_hub", description="Print the top-3 digits for each image.")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, WebP, GIF, BMP, ...)")
    p.add_argument("--model", default=None, help="model folder or Hub repo id (default: $MNIST_HUB_MODEL or bundled)")
    p.add_argument("--revision", default=None, help="Hub branch, tag or commit")
    args = p.parse_args(argv)
    try:
        model = load_model(args.model, args.revision)
    except ModelLoadError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    failed = 0
    for path in args.images:
        try:
            prediction = predict(model, path)
        except ImageError as err:
            print(f"{path}: cannot read: {err}")
            failed += 1
            continue
        answer = prediction.describe() if prediction else "no digit found (the image is blank, uniform or noise)"
        print(f"{path}: {answer}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
