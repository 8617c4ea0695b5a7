"""Synthetic drawings of digits, made the way a person draws them, for the preprocessing and app tests."""

from __future__ import annotations

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
