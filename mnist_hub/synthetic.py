"""Synthetic pictures of digits, made the way people make them, for the tests and the benchmarks.

``draw`` draws strokes as a pen or a brush on a canvas does; ``redraw`` turns an MNIST digit into a drawing on a
canvas of any size, deterministic for a given ``numpy`` generator. The tests and the benchmarks share this one
copy, so the pictures they check and measure are made the same way.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

# Strokes of a "7" and a "1" in unit coordinates (x, y), y downwards.
SEVEN = [[(0.15, 0.1), (0.85, 0.1), (0.4, 0.95)]]
ONE = [[(0.5, 0.05), (0.5, 0.95)]]
FOUR = [[(0.6, 0.05), (0.1, 0.65), (0.9, 0.65)], [(0.65, 0.35), (0.65, 0.95)]]


def draw(
    strokes=SEVEN,
    canvas: int = 280,
    box: tuple[float, float, float, float] = (0.3, 0.25, 0.4, 0.5),
    width: int = 18,
    ink: str = "black",
    paper: str = "white",
    mode: str = "RGB",
) -> Image.Image:
    """``strokes`` drawn inside ``box`` (left, top, width, height as canvas fractions).

    ``mode="RGBA"`` draws on a transparent layer (``paper`` is ignored), as a sketchpad layer does.
    """
    if mode == "RGBA":
        image = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
    else:
        image = Image.new(mode, (canvas, canvas), paper)
    pen = ImageDraw.Draw(image)
    left, top, w, h = (v * canvas for v in box)
    for stroke in strokes:
        points = [(left + x * w, top + y * h) for x, y in stroke]
        pen.line(points, fill=ink, width=width, joint="curve")
        for x, y in points:  # round caps, as a brush makes
            pen.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=ink)
    return image


def redraw(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """One MNIST digit (28x28 uint8, white on black) as a person's drawing on a canvas."""
    canvas = int(rng.integers(200, 601))
    size = int(canvas * rng.uniform(0.35, 0.90))
    ink = torch.from_numpy(digit.astype(np.float32) / 255)[None, None]
    ink = F.interpolate(ink, size=(size, size), mode="bilinear", align_corners=False)
    thicken = int(rng.integers(0, max(2, size // 25)))
    if thicken:
        k = 2 * thicken + 1
        ink = F.max_pool2d(ink, k, stride=1, padding=thicken)
    ink = ink[0, 0].clamp(0, 1).numpy()
    top, left = (int(rng.integers(0, canvas - size + 1)) for _ in range(2))
    alpha = np.zeros((canvas, canvas), dtype=np.float32)
    alpha[top : top + size, left : left + size] = ink
    if rng.random() < 0.5:  # dark ink on white paper
        grey = (255 * (1 - alpha)).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    rgba = np.zeros((canvas, canvas, 4), dtype=np.uint8)  # black ink on a transparent layer
    rgba[:, :, 3] = (255 * alpha).astype(np.uint8)
    return Image.fromarray(rgba, "RGBA")
