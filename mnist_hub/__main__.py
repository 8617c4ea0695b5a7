"""Run pictures of digits through the model: ``python -m mnist_hub [--number] IMAGE [IMAGE ...]``."""

from __future__ import annotations

import argparse
import sys

from mnist_hub.loading import ModelLoadError, load_model
from mnist_hub.predict import number_text, predict, predict_number
from mnist_hub.preprocessing import ImageError


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m mnist_hub", description="Print the top-3 digits for each image.")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, WebP, GIF, BMP, ...)")
    p.add_argument("--model", default=None, help="model folder or Hub repo id (default: $MNIST_HUB_MODEL or bundled)")
    p.add_argument("--revision", default=None, help="Hub branch, tag or commit")
    p.add_argument("--number", action="store_true", help="read each image as a number of one or more digits")
    args = p.parse_args(argv)
    try:
        model = load_model(args.model, args.revision)
    except ModelLoadError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    failed = 0
    for path in args.images:
        try:
            if args.number:
                digits = predict_number(model, path)
                answer = number_text(digits) + " (" + ", ".join(p.describe(1) for p in digits) + ")" if digits else ""
            else:
                prediction = predict(model, path)
                answer = prediction.describe() if prediction else ""
        except ImageError as err:
            print(f"{path}: cannot read: {err}")
            failed += 1
            continue
        print(f"{path}: {answer or 'no digit found (the image is blank, uniform or noise)'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
