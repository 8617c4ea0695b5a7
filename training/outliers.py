"""Pictures that are not digits, for teaching the network to say so (outlier exposure, Hendrycks et al. 2019).

Generated here, deterministically, from generators the evaluation never uses (``training.synthetic``'s
hand-drawn letters, scribbles and shapes are the held-out test of the refusal): glyphs of matplotlib's bundled
fonts (letters that do not look like digits, and symbols), random Bezier curves, filled blobs, speckle, and outlines
(random polygons, stars with any number of points, framed marks).
Every picture goes through ``prepare_image``, as the demo's input does, so the network learns on what it will be
shown.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from tqdm import tqdm

from mnist_hub.preprocessing import prepare_image

# Glyphs that cannot be mistaken for a digit (no O, I, l, S, Z, B, G, b, g, q, ...).
GLYPHS = "ACEFHKMNPRTUVWXYefhkmnuvwx#@&%$+=<>{}[]~"
# No pairs of digits squeezed into one box: too close to one digit (a run with them, and more, lost accuracy).
KINDS = ("glyph", "curves", "blob", "speckle", "outline")


def font_files() -> list[Path]:
    """matplotlib's bundled TrueType fonts (DejaVu, STIX, Computer Modern) that hold Latin letters."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return sorted(
        p for p in folder.glob("*.ttf") if p.name.startswith(("DejaVu", "STIXGeneral", "cmr", "cmss", "cmtt"))
    )


def glyph(rng: np.random.Generator, fonts: list[Path]) -> Image.Image:
    side = int(rng.integers(64, 160))
    font = ImageFont.truetype(str(fonts[int(rng.integers(len(fonts)))]), size=int(side * rng.uniform(0.5, 0.8)))
    image = Image.new("L", (side, side), 255)
    pen = ImageDraw.Draw(image)
    pen.text(
        (side / 2, side / 2),
        GLYPHS[int(rng.integers(len(GLYPHS)))],
        fill=0,
        font=font,
        anchor="mm",
        stroke_width=int(rng.integers(0, 3)),
    )
    return image.rotate(rng.uniform(-20, 20), fillcolor=255)


def curves(rng: np.random.Generator) -> Image.Image:
    """Two to four cubic Bezier curves with random control points and a random pen (one alone can be a 1 or a 7)."""
    side = int(rng.integers(64, 160))
    image = Image.new("L", (side, side), 255)
    pen = ImageDraw.Draw(image)
    t = np.linspace(0, 1, 40)[:, None]
    for _ in range(int(rng.integers(2, 5))):
        p = rng.uniform(0.05, 0.95, (4, 2)) * side
        points = (1 - t) ** 3 * p[0] + 3 * (1 - t) ** 2 * t * p[1] + 3 * (1 - t) * t**2 * p[2] + t**3 * p[3]
        pen.line([tuple(q) for q in points], fill=0, width=int(rng.integers(2, max(3, side // 10))), joint="curve")
    return image


def blob(rng: np.random.Generator) -> Image.Image:
    """Filled polygons and ellipses: solid shapes, which digits never are."""
    side = int(rng.integers(64, 160))
    image = Image.new("L", (side, side), 255)
    pen = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(1, 3))):
        if rng.random() < 0.5:
            pen.polygon([tuple(q) for q in rng.uniform(0.1, 0.9, (int(rng.integers(3, 7)), 2)) * side], fill=0)
        else:
            x0, y0 = rng.uniform(0.05, 0.5, 2) * side
            pen.ellipse([x0, y0, x0 + rng.uniform(0.2, 0.5) * side, y0 + rng.uniform(0.2, 0.5) * side], fill=0)
    return image


def outline(rng: np.random.Generator) -> Image.Image:
    """The outline of a random polygon or of a star with a random number of points, or a framed cluster of marks."""
    side = int(rng.integers(64, 160))
    image = Image.new("L", (side, side), 255)
    pen = ImageDraw.Draw(image)
    width = int(rng.integers(2, max(3, side // 12)))
    centre, radius = rng.uniform(0.4, 0.6, 2) * side, rng.uniform(0.3, 0.45) * side
    kind = int(rng.integers(3))
    if kind == 0:  # a random polygon: vertices at random angles and radii
        angles = np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(3, 9))))
        radii = radius * rng.uniform(0.5, 1.0, len(angles))
    elif kind == 1:  # a star: points alternating between two radii
        count = int(rng.integers(4, 9))
        angles = rng.uniform(0, 2 * np.pi) + np.arange(2 * count) * np.pi / count
        radii = radius * np.where(np.arange(2 * count) % 2 == 0, 1.0, rng.uniform(0.3, 0.6))
    else:  # a rectangle with marks inside
        x0, y0 = centre - radius
        pen.rectangle([x0, y0, x0 + 2 * radius, y0 + 2 * radius * rng.uniform(0.6, 1.0)], outline=0, width=width)
        for _ in range(int(rng.integers(1, 4))):
            a, b = centre + rng.normal(0, radius / 3, (2, 2))
            pen.line([tuple(a), tuple(b)], fill=0, width=width)
        return image
    points = [
        (float(centre[0] + r * np.cos(a)), float(centre[1] + r * np.sin(a))) for a, r in zip(angles, radii, strict=True)
    ]
    pen.line([*points, points[0]], fill=0, width=width, joint="curve")
    return image


def speckle(rng: np.random.Generator) -> np.ndarray:
    """A cluster of blots and short dashes, denser than noise (noise is refused before the model sees it)."""
    side = int(rng.integers(64, 160))
    image = Image.new("L", (side, side), 255)
    pen = ImageDraw.Draw(image)
    centre = rng.uniform(0.3, 0.7, 2) * side
    for _ in range(int(rng.integers(6, 25))):
        x, y = centre + rng.normal(0, side / 6, 2)
        r = rng.uniform(1, side / 14)
        pen.ellipse([x - r, y - r, x + r, y + r * rng.uniform(0.5, 2)], fill=0)
    return np.asarray(image)


def make_outliers(count: int, seed: int, quiet: bool = True) -> torch.Tensor:
    """``count`` prepared non-digit pictures (N, 1, 28, 28) in [0, 1], the kinds in equal shares, reproducible."""
    rng = np.random.default_rng(seed)
    fonts = font_files()
    made: list[torch.Tensor] = []
    progress = tqdm(total=count, desc="non-digits", disable=quiet, unit="picture", mininterval=0.5)
    while len(made) < count:
        kind = KINDS[len(made) % len(KINDS)]
        if kind == "glyph":
            picture = glyph(rng, fonts)
        elif kind == "curves":
            picture = curves(rng)
        elif kind == "blob":
            picture = blob(rng)
        elif kind == "outline":
            picture = outline(rng)
        else:
            picture = speckle(rng)
        prepared = prepare_image(picture)
        if prepared is not None:
            made.append(prepared)
            progress.update()
    progress.close()
    return torch.cat(made)
