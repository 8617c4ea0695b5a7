"""Read pictures of digits and numbers as the demo does: ``python -m mnist_hub [--number] [--json] IMAGE ...``."""

from __future__ import annotations

import argparse
import json
import sys

from mnist_hub.loading import ModelLoadError, load_model
from mnist_hub.numbers import number_text, predict_number, reading_text
from mnist_hub.preprocessing import ImageError


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m mnist_hub",
        description="Print what each picture reads as: a digit's top 3, 'not a digit', or a number digit by digit.",
    )
    p.add_argument("images", nargs="*", metavar="IMAGE", help="image files (PNG, JPEG, WebP, GIF, BMP, ...)")
    p.add_argument(
        "--inside", metavar="PICTURE", default=None, help="draw what each layer makes of PICTURE (one digit) into -o"
    )
    p.add_argument("-o", "--output", default="inside.png", help="where --inside writes its figure (PNG)")
    p.add_argument(
        "--export-onnx", metavar="DIR", default=None, help="write the model as ONNX to DIR/onnx/model.onnx and stop"
    )
    p.add_argument("--model", default=None, help="model folder or Hub repo id (default: $MNIST_HUB_MODEL or bundled)")
    p.add_argument("--revision", default=None, help="Hub branch, tag or commit")
    p.add_argument("--number", action="store_true", help="print each picture as a number, even of one digit")
    p.add_argument("--json", action="store_true", help="one JSON object per picture (digits, scores, top 3)")
    args = p.parse_args(argv)
    if not args.images and not args.inside and not args.export_onnx:
        p.error("give at least one IMAGE, --inside PICTURE or --export-onnx DIR")
    try:
        model = load_model(args.model, args.revision)
    except ModelLoadError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.export_onnx:
        return write_onnx(model, args.export_onnx)
    if args.inside:
        return write_inside(model, args.inside, args.output)
    failed = 0
    for path in args.images:
        try:
            digits = predict_number(model, path)
        except ImageError as err:
            failed += 1
            if args.json:
                print(json.dumps({"file": path, "error": str(err)}))
            else:
                print(f"error: {err}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps({"file": path, "number": number_text(digits), "digits": [d.as_dict() for d in digits]}))
        elif args.number and digits:
            print(f"{path}: {number_text(digits)} (" + ", ".join(d.describe(1) for d in digits) + ")")
        else:
            print(f"{path}: {reading_text(digits)}")
    return 1 if failed else 0


def write_onnx(model, folder: str) -> int:
    """``--export-onnx``: the model as ONNX, in the model folder layout (``onnx/model.onnx``)."""
    from pathlib import Path

    from mnist_hub.export import export_onnx
    from mnist_hub.files import ONNX_NAME

    try:
        path = export_onnx(model, Path(folder) / ONNX_NAME)
    except ImportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: cannot write {Path(folder) / ONNX_NAME}: {err.strerror or err}", file=sys.stderr)
        return 1
    print(f"wrote {path}: input pixels (N, 1, 28, 28), output logits (N, {model.num_classes})")
    return 0


def write_inside(model, picture: str, output: str) -> int:
    """``--inside``: the look-inside figure of one picture, written as a PNG."""
    from mnist_hub.inside import figure, look_inside

    try:
        inside = look_inside(model, picture)
        fig = None if inside is None else figure(inside, title=f"{picture}: {inside.prediction.describe()}")
    except ImageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except ImportError as err:  # Captum or matplotlib missing: say which, in one line
        print(f"error: {err}", file=sys.stderr)
        return 2
    if inside is None:
        print(f"error: no digit found in {picture} (the image is blank, uniform or noise)", file=sys.stderr)
        return 1
    fig.savefig(output, dpi=80)
    print(f"wrote {output}: what each layer makes of {picture} ({inside.prediction.describe(1)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
