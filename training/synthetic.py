"""Synthetic pictures of digits, made the way people make them, for the tests and the benchmarks.

``draw`` draws strokes as a pen or a brush on a canvas does; ``redraw`` turns an MNIST digit into a drawing on a
canvas of any size, deterministic for a given ``numpy`` generator. The tests and the benchmarks share this one
copy, so the pictures they check and measure are made the same way.
"""

from __future__ import annotations

import io

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageChops, ImageDraw, ImageFilter

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


def photograph(digit: np.ndarray, rng: np.random.Generator, style: str = "desk") -> Image.Image:
    """One MNIST digit written in ink on paper and photographed with a phone, as an RGB JPEG-decoded picture.

    ``digit`` is white ink on black, uint8: a 28x28 MNIST digit, or any other shape (a number from
    ``photograph_number``), whose longer side gets the size a digit would.

    ``style="desk"`` (the set prepare_image was tuned on): plain paper, a linear lighting gradient, a straight
    shadow edge, the table along some sides, perspective, blur, grain, JPEG. ``style="notebook"`` (held out, never
    tuned on): ruled or squared notebook paper, a spotlight with a vignette, the soft shadow of a hand or phone,
    pencil or felt pen, barrel-free but rotated framing, chroma noise, a different JPEG range.
    """
    notebook = style == "notebook"
    if style not in ("desk", "notebook"):
        raise ValueError(f"unknown photo style {style!r}")
    side, alpha = ink_on_page(digit, rng)
    paper = np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.86, 0.98)]) * rng.uniform(0.8, 0.97)
    if notebook:
        colours = [(0.25, 0.25, 0.27), (0.45, 0.45, 0.47), (0.05, 0.05, 0.1), (0.55, 0.1, 0.1)]  # pencils, felt, red
    else:
        colours = [(0.08, 0.12, 0.45), (0.1, 0.1, 0.12), (0.2, 0.2, 0.6), (0.35, 0.35, 0.38)]  # blue, black, grey
    colour = np.array(colours[int(rng.integers(len(colours)))]) + rng.normal(0, 0.03, 3)
    opacity = rng.uniform(0.75, 1.0)
    picture = paper[None, None] * np.ones((side, side, 1), dtype=np.float32)
    if notebook:
        picture = ruled(picture, rng)
    a = (alpha * opacity)[..., None]
    picture = picture * (1 - a) + colour[None, None] * a
    return shot(picture, rng, notebook)


def photograph_page(
    page: Image.Image, rng: np.random.Generator, style: str = "desk", whole: bool = False
) -> Image.Image:
    """A page (RGB, e.g. ``on_paper``'s) photographed with a phone as ``photograph`` photographs a digit: a square
    of the page around its middle (``whole``: the whole page, on white paper around it, as a form's field lies on
    its sheet), 320-900 px, on tinted paper, in the light, grain, framing and JPEG of ``style`` (the page's own
    paper, ruled or not, is what the notebook style's lines were)."""
    if style not in ("desk", "notebook"):
        raise ValueError(f"unknown photo style {style!r}")
    edge = max(page.size) if whole else min(page.size)
    square = Image.new("RGB", (edge, edge), "white")
    square.paste(page, tuple(n // 2 if n >= 0 else -(-n // 2) for n in (edge - page.width, edge - page.height)))
    side = int(rng.integers(320, 900))
    square = square.resize((side, side), Image.Resampling.BICUBIC)
    paper = np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.86, 0.98)]) * rng.uniform(0.8, 0.97)
    return shot(np.asarray(square, np.float32) / 255 * paper, rng, style == "notebook")


def shot(picture: np.ndarray, rng: np.random.Generator, notebook: bool) -> Image.Image:
    """A page (float RGB in 0-1, square) in the light of ``lighting``, with grain or chroma noise, ``snapped``."""
    side = picture.shape[0]
    picture = picture * lighting(side, rng, notebook)[..., None]
    if notebook:  # chroma noise: each channel its own
        picture = picture + rng.normal(0, rng.uniform(0.01, 0.035), picture.shape)
    else:  # grain: the same in all channels
        picture = picture + rng.normal(0, rng.uniform(0.01, 0.04), (side, side, 1))
    return snapped(Image.fromarray((np.clip(picture, 0, 1) * 255).astype(np.uint8), "RGB"), rng, notebook)


def ink_on_page(digit: np.ndarray, rng: np.random.Generator) -> tuple[int, np.ndarray]:
    """The page's side and the ink's opacity on it: the digit 30-65 % of the page, away from its edges."""
    side = int(rng.integers(320, 900))
    size = int(side * rng.uniform(0.3, 0.65))
    extent = tuple(max(1, round(size * n / max(digit.shape))) for n in digit.shape)  # (size, size) for a digit
    ink = torch.from_numpy(digit.astype(np.float32) / 255)[None, None]
    ink = F.interpolate(ink, size=extent, mode="bilinear", align_corners=False)[0, 0].clamp(0, 1).numpy()
    alpha = np.zeros((side, side), dtype=np.float32)
    top, left = (int(rng.integers(int(0.1 * side), int(0.9 * side) - n + 1)) for n in extent)
    alpha[top : top + extent[0], left : left + extent[1]] = ink
    return side, np.clip(alpha * rng.uniform(1.0, 1.6), 0, 1)  # a pen's ink saturates


def ruled(picture: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Notebook paper: ruled or squared in faint blue."""
    side = picture.shape[0]
    pitch = int(side * rng.uniform(0.05, 0.09))
    offset = int(rng.integers(pitch))
    lines = np.zeros((side, side), dtype=np.float32)
    lines[offset::pitch, :] = 1
    if rng.random() < 0.5:
        lines[:, offset::pitch] = 1
    line_colour = np.array([0.55, 0.7, 0.9])
    strength = rng.uniform(0.25, 0.5) * lines[..., None]
    return picture * (1 - strength) + line_colour * strength


def lighting(side: int, rng: np.random.Generator, notebook: bool) -> np.ndarray:
    """How much light falls on each point of the page: a spotlight or a gradient, and often a shadow."""
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) / side
    if notebook:  # a spotlight and a vignette
        cy, cx = rng.uniform(0, 1, 2)
        light = 1.0 - rng.uniform(0.25, 0.5) * np.clip(np.hypot(yy - cy, xx - cx) / 0.9, 0, 1) ** 1.5
    else:  # light falling off across the page
        angle = rng.uniform(0, 2 * np.pi)
        ramp = (np.cos(angle) * (xx - 0.5) + np.sin(angle) * (yy - 0.5)) * 2  # -1.4 .. 1.4
        light = 1.0 - rng.uniform(0.15, 0.4) * (ramp + 1.4) / 2.8
    if rng.random() < 0.7:  # a shadow across the page
        if notebook:  # a blob-like soft shadow (a hand, a phone) coming in from one side
            cy, cx = rng.uniform(-0.2, 1.2, 2)
            radius = rng.uniform(0.3, 0.6)
            distance = np.hypot(yy - cy, xx - cx) - radius
            softness = rng.uniform(0.04, 0.12)
        else:  # a straight shadow edge
            angle = rng.uniform(0, 2 * np.pi)
            distance = np.cos(angle) * (xx - 0.5) + np.sin(angle) * (yy - 0.5) - rng.uniform(-0.3, 0.3)
            softness = rng.uniform(0.005, 0.05)
        shade = 1.0 / (1.0 + np.exp(np.clip(distance / softness, -50, 50)))
        light = light * (1 - rng.uniform(0.25, 0.5) * shade)
    return light


def snapped(image: Image.Image, rng: np.random.Generator, notebook: bool) -> Image.Image:
    """The page as a phone takes it: askew or in perspective with the table around, blurred, JPEG-compressed."""
    side = image.width
    table = tuple(int(v) for v in rng.uniform(20, 140, 3))
    if notebook:  # the phone held askew: a rotation, the table in the corners
        image = image.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BILINEAR, expand=False, fillcolor=table)
    else:  # perspective: the page a quadrilateral, the table at some sides
        corners = np.array([[0, 0], [0, side], [side, side], [side, 0]], dtype=np.float64)  # PIL's QUAD order
        corners += rng.uniform(-0.1, 0.05, (4, 2)) * side * np.array([[1, 1], [1, -1], [-1, -1], [-1, 1]])
        image = image.transform(
            (side, side), Image.Transform.QUAD, tuple(corners.ravel()), Image.Resampling.BILINEAR, fillcolor=table
        )
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.8)))
    buffer = io.BytesIO()
    quality = int(rng.integers(20, 60)) if notebook else int(rng.integers(40, 95))
    image.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def write_number(digits: list[np.ndarray], rng: np.random.Generator) -> Image.Image:
    """MNIST digits (28x28 uint8 each) written side by side as one number on a canvas, as a person writes it.

    The digits are set as ``number_strip`` sets them; the row is then drawn like ``redraw``: any canvas, anywhere,
    any pen.
    """
    strip = number_strip(digits, rng)
    canvas = int(rng.integers(300, 801))
    scale = canvas * rng.uniform(0.5, 0.9) / max(strip.shape)
    size = (max(1, round(strip.shape[0] * scale)), max(1, round(strip.shape[1] * scale)))
    ink = F.interpolate(torch.from_numpy(strip)[None, None], size=size, mode="bilinear", align_corners=False)
    thicken = int(rng.integers(0, max(2, round(scale * 0.8))))  # at most ~1 px at MNIST's scale
    if thicken:
        ink = F.max_pool2d(ink, 2 * thicken + 1, stride=1, padding=thicken)
    ink = ink[0, 0].clamp(0, 1).numpy()
    top, left = int(rng.integers(0, canvas - size[0] + 1)), int(rng.integers(0, canvas - size[1] + 1))
    alpha = np.zeros((canvas, canvas), dtype=np.float32)
    alpha[top : top + size[0], left : left + size[1]] = ink
    if rng.random() < 0.5:
        return Image.fromarray((255 * (1 - alpha)).astype(np.uint8), "L").convert("RGB")
    rgba = np.zeros((canvas, canvas, 4), dtype=np.uint8)
    rgba[:, :, 3] = (255 * alpha).astype(np.uint8)
    return Image.fromarray(rgba, "RGBA")


def photograph_number(digits: list[np.ndarray], rng: np.random.Generator, style: str = "desk") -> Image.Image:
    """MNIST digits (28x28 uint8 each) written as one number (``number_strip``) on paper and photographed
    (``photograph``)."""
    strip = number_strip(digits, rng)
    return photograph(np.round(255 * np.clip(strip, 0, 1)).astype(np.uint8), rng, style)


def number_strip(digits: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """MNIST digits (28x28 uint8 each) set side by side as one number, float32 white ink on black at MNIST's scale.

    Each digit is cropped to its ink and gets its own size (±20 %), baseline (±15 % of the height) and gap to the
    previous one (2-9 px at MNIST's scale).
    """
    crops = []
    for digit in digits:
        crop = torch.from_numpy(ink_crop(digit))
        scale = rng.uniform(0.8, 1.2)
        size = (max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale)))
        crops.append(F.interpolate(crop[None, None], size=size, mode="bilinear", align_corners=False)[0, 0].numpy())
    height = max(c.shape[0] for c in crops)
    shifts = [int(rng.integers(-round(0.15 * height), round(0.15 * height) + 1)) for _ in crops]
    gaps = [0] + [int(rng.integers(2, 10)) for _ in crops[1:]]
    top = -min(0, *(height - c.shape[0] + s for c, s in zip(crops, shifts, strict=True)))
    rows = top + height + max(0, *shifts) + 2
    width = sum(c.shape[1] for c in crops) + sum(gaps) + 4
    strip = np.zeros((rows, width), dtype=np.float32)
    x = 2
    for crop, shift, gap in zip(crops, shifts, gaps, strict=True):
        x += gap
        y = top + height - crop.shape[0] + shift  # bottoms near one baseline
        strip[y : y + crop.shape[0], x : x + crop.shape[1]] = np.maximum(
            strip[y : y + crop.shape[0], x : x + crop.shape[1]], crop
        )
        x += crop.shape[1]
    return strip


def ink_crop(digit: np.ndarray) -> np.ndarray:
    """An MNIST digit (28x28 uint8) cropped to its ink, float32 in [0, 1]."""
    rows, cols = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    return digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32) / 255


def touching_number(
    digits: list[np.ndarray], rng: np.random.Generator, gaps: tuple[float, float] = (-0.12, 0.04), height: int = 120
) -> Image.Image:
    """MNIST digits (28x28 uint8 each) written as one number whose digits touch or overlap: the generator
    ``mnist_hub.preprocessing.numbers`` was tuned on (with training digits; ``crowded_number`` is the held-out one).

    Each digit is scaled (bilinear) to ``height`` x 0.85-1.1 keeping its shape, its bottom near one baseline
    (±8 %), the gap to the previous box a uniform share ``gaps`` of ``height`` (negative: the boxes overlap), the
    pen thickened by 0-3 px; dark ink on white.
    """
    crops = []
    for digit in digits:
        crop = ink_crop(digit)
        scale = height * rng.uniform(0.85, 1.1) / crop.shape[0]
        size = (max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale)))
        crops.append(F.interpolate(torch.from_numpy(crop)[None, None], size=size, mode="bilinear")[0, 0].numpy())
    tallest = max(c.shape[0] for c in crops)
    shifts = [int(rng.integers(-round(0.08 * tallest), round(0.08 * tallest) + 1)) for _ in crops]
    steps = [0] + [round(rng.uniform(*gaps) * height) for _ in crops[1:]]
    width = sum(c.shape[1] for c in crops) + sum(max(0, g) for g in steps) + 80
    margin = 40 + round(0.1 * tallest)
    ink = np.zeros((tallest + 2 * margin, width), dtype=np.float32)
    x = 40
    for crop, shift, step in zip(crops, shifts, steps, strict=True):
        x = max(0, x + step)
        y = margin + tallest - crop.shape[0] + shift
        region = ink[y : y + crop.shape[0], x : x + crop.shape[1]]
        np.maximum(region, crop[: region.shape[0], : region.shape[1]], out=region)
        x += crop.shape[1]
    thicken = int(rng.integers(0, 4))
    if thicken:
        ink = F.max_pool2d(torch.from_numpy(ink)[None, None], 2 * thicken + 1, stride=1, padding=thicken)[0, 0].numpy()
    return Image.fromarray((255 * (1 - np.clip(ink, 0, 1))).astype(np.uint8), "L")


def crowded_number(
    digits: list[np.ndarray], rng: np.random.Generator, gap: float | None = None, height: int | None = None
) -> Image.Image:
    """MNIST digits (28x28 uint8 each) written as one number with touching or overlapping digits, made otherwise
    than ``touching_number`` for measuring what was not tuned on: Pillow's Lanczos scaling, each digit slanted
    by up to ±8°, strokes made thinner or thicker with Pillow's rank filters, any grey pen on any light paper or on
    a transparent layer (as the demo's drawing pad), and the gap between boxes ``gap`` px (default: a uniform -10 %
    to +2 % of the height) at a digit height of ``height`` px (default: 90-200)."""
    height = height or int(rng.integers(90, 201))
    pictures = []
    for digit in digits:
        picture = Image.fromarray(np.round(255 * ink_crop(digit)).astype(np.uint8), "L")
        scale = height * rng.uniform(0.9, 1.1) / picture.height
        picture = picture.resize(
            (max(1, round(picture.width * scale)), max(1, round(picture.height * scale))), Image.LANCZOS
        )
        picture = picture.rotate(rng.uniform(-8, 8), resample=Image.BICUBIC, expand=True)
        pictures.append(picture.crop(picture.getbbox()) if picture.getbbox() else picture)
    pen = int(rng.integers(-1, 3))  # -1 thinner, 0 as is, 1-2 thicker (rank filters of 3 or 5 px)
    tallest = max(p.height for p in pictures)
    width = sum(p.width for p in pictures) + 160
    sheet = Image.new("L", (width, tallest + 160), 0)
    x = 80
    for k, picture in enumerate(pictures):
        if k:
            x += round(gap if gap is not None else rng.uniform(-0.10, 0.02) * height)
        y = 80 + tallest - picture.height + int(rng.integers(-round(0.05 * tallest), round(0.05 * tallest) + 1))
        layer = Image.new("L", sheet.size, 0)
        layer.paste(picture, (x, y))
        sheet = ImageChops.lighter(sheet, layer)
        x += picture.width
    if pen < 0:
        sheet = sheet.filter(ImageFilter.MinFilter(3))
    elif pen > 0:
        sheet = sheet.filter(ImageFilter.MaxFilter(2 * pen + 1 if height >= 150 else 3))
    alpha = np.asarray(sheet, dtype=np.float32) / 255
    if rng.random() < 0.5:
        rgba = np.zeros((*alpha.shape, 4), dtype=np.uint8)
        rgba[:, :, 3] = np.round(255 * alpha).astype(np.uint8)
        return Image.fromarray(rgba, "RGBA")
    paper, ink = rng.uniform(200, 255), rng.uniform(0, 90)
    return Image.fromarray(np.round(paper + (ink - paper) * alpha).astype(np.uint8), "L").convert("RGB")


# Non-digits drawn as people draw them, for measuring the refusal of things that are not digits (issue 12).
# Training never sees these generators: its outliers are font glyphs, random curves, blobs and digit pairs
# (training/outliers.py). Letters here are ones that do not look like digits.
LETTERS = {
    "A": [[(0.1, 0.95), (0.5, 0.05), (0.9, 0.95)], [(0.28, 0.6), (0.72, 0.6)]],
    "E": [[(0.85, 0.05), (0.15, 0.05), (0.15, 0.95), (0.85, 0.95)], [(0.15, 0.5), (0.7, 0.5)]],
    "F": [[(0.85, 0.05), (0.15, 0.05), (0.15, 0.95)], [(0.15, 0.5), (0.7, 0.5)]],
    "H": [[(0.15, 0.05), (0.15, 0.95)], [(0.85, 0.05), (0.85, 0.95)], [(0.15, 0.5), (0.85, 0.5)]],
    "K": [[(0.2, 0.05), (0.2, 0.95)], [(0.85, 0.05), (0.2, 0.55)], [(0.4, 0.4), (0.85, 0.95)]],
    "M": [[(0.1, 0.95), (0.15, 0.05), (0.5, 0.6), (0.85, 0.05), (0.9, 0.95)]],
    "N": [[(0.15, 0.95), (0.15, 0.05), (0.85, 0.95), (0.85, 0.05)]],
    "R": [[(0.2, 0.95), (0.2, 0.05), (0.7, 0.08), (0.8, 0.28), (0.7, 0.48), (0.2, 0.5)], [(0.45, 0.5), (0.85, 0.95)]],
    "W": [[(0.05, 0.05), (0.25, 0.95), (0.5, 0.4), (0.75, 0.95), (0.95, 0.05)]],
    "X": [[(0.1, 0.05), (0.9, 0.95)], [(0.9, 0.05), (0.1, 0.95)]],
}
NON_DIGIT_KINDS = ("letter", "scribble", "shape")
STAR = [[(0.5 + 0.45 * np.sin(a), 0.5 - 0.45 * np.cos(a)) for a in np.arange(6) * 4 * np.pi / 5]]  # one stroke


def shape_strokes(rng: np.random.Generator) -> list[list[tuple[float, float]]]:
    """A simple drawn shape: a star, a triangle, a square, a smiley, a heart, an arrow or a hash sign."""
    kind = int(rng.integers(7))
    if kind == 0:
        return STAR
    if kind == 1:
        return [[(0.5, 0.05), (0.95, 0.9), (0.05, 0.9), (0.5, 0.05)]]
    if kind == 2:
        return [[(0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9), (0.1, 0.1)]]
    if kind == 3:  # a smiley: a face, two eyes, a smile
        circle = [(0.5 + 0.45 * np.cos(a), 0.5 + 0.45 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 40)]
        smile = [(0.5 + 0.25 * np.cos(a), 0.55 + 0.2 * np.sin(a)) for a in np.linspace(0.2, np.pi - 0.2, 12)]
        return [circle, [(0.35, 0.35), (0.36, 0.37)], [(0.65, 0.35), (0.66, 0.37)], smile]
    if kind == 4:  # a heart
        t = np.linspace(0, 2 * np.pi, 50)
        x, y = 16 * np.sin(t) ** 3, 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)
        return [list(zip(0.5 + x / 36, 0.45 - y / 36, strict=True))]
    if kind == 5:  # an arrow
        return [[(0.05, 0.5), (0.95, 0.5)], [(0.65, 0.2), (0.95, 0.5), (0.65, 0.8)]]
    return [
        [(0.35, 0.05), (0.3, 0.95)],
        [(0.7, 0.05), (0.65, 0.95)],
        [(0.05, 0.35), (0.95, 0.35)],
        [(0.05, 0.68), (0.95, 0.68)],
    ]


def scribble_strokes(rng: np.random.Generator) -> list[list[tuple[float, float]]]:
    """A tangled scribble: a wandering pen with momentum that loops over itself."""
    points, position, heading = [], np.array([0.5, 0.5]), rng.uniform(0, 2 * np.pi)
    for _ in range(int(rng.integers(40, 120))):
        heading += rng.normal(0, 0.6)
        position = np.clip(position + 0.06 * np.array([np.cos(heading), np.sin(heading)]), 0.02, 0.98)
        points.append((float(position[0]), float(position[1])))
    return [points]


def draw_non_digit(kind: str, rng: np.random.Generator) -> Image.Image:
    """A letter, a scribble or a shape drawn on a 200-600 px canvas, anywhere, with any pen, as the demo gets them."""
    if kind == "letter":
        strokes = LETTERS[sorted(LETTERS)[int(rng.integers(len(LETTERS)))]]
    elif kind == "scribble":
        strokes = scribble_strokes(rng)
    elif kind == "shape":
        strokes = shape_strokes(rng)
    else:
        raise ValueError(f"unknown kind {kind!r}; one of {NON_DIGIT_KINDS}")
    canvas = int(rng.integers(200, 601))
    w, h = rng.uniform(0.3, 0.8), rng.uniform(0.3, 0.8)
    box = (rng.uniform(0, 1 - w), rng.uniform(0, 1 - h), w, h)
    width = int(rng.integers(max(2, canvas // 80), max(3, canvas // 15)))
    jittered = [[(x + rng.normal(0, 0.015), y + rng.normal(0, 0.015)) for x, y in stroke] for stroke in strokes]
    mode = "RGBA" if rng.random() < 0.5 else "RGB"
    return draw(jittered, canvas=canvas, box=box, width=width, mode=mode)


# Crafted drawings: small PNGs within every limit of the demo, shaped to cost a number's reading the most (issue 35).
# tests/test_numbers.py bounds the work each one causes; benchmarks/crafted.py measures it.
def dots(count: int, rng: np.random.Generator, side: int = 340) -> Image.Image:
    """``count`` one-pixel dots, one per column, at random heights, inside a 1-pixel white margin."""
    canvas = np.full((side, side), 255, np.uint8)
    canvas[rng.integers(1, side - 1, count), np.linspace(1, side - 2, count).astype(int)] = 0
    return Image.fromarray(canvas)


def sprinkled(share: float, rng: np.random.Generator, side: int = 340) -> Image.Image:
    """Noise: each pixel inside a 1-pixel white margin black with probability ``share``."""
    canvas = np.full((side, side), 255, np.uint8)
    canvas[1:-1, 1:-1][rng.random((side - 2, side - 2)) < share] = 0
    return Image.fromarray(canvas)


def blobs(count: int, rng: np.random.Generator, side: int = 340) -> Image.Image:
    """``count`` 4x4 squares side by side at random heights: as many pieces as are read, each a candidate digit."""
    image = Image.new("L", (side, side), 255)
    pen = ImageDraw.Draw(image)
    for x in np.linspace(4, side - 8, count).astype(int):
        y = int(rng.integers(4, side - 8))
        pen.rectangle([int(x), y, int(x) + 3, y + 3], fill=0)
    return image


def zigzag(height: int, period: int, side: int = 340) -> Image.Image:
    """One thin zigzag across the canvas: a single piece, wide enough to be cut almost everywhere."""
    image = Image.new("L", (side, side), 255)
    points = [(x, side // 2 + (height if (x // period) % 2 else 0)) for x in range(2, side - 2, period)]
    ImageDraw.Draw(image).line(points, fill=0, width=2)
    return image


def combs(count: int, side: int = 340, height: int = 24) -> Image.Image:
    """``count`` small thin Z shapes in a row: pieces that are each doubtful and each wide enough to be cut."""
    image = Image.new("L", (side, side), 255)
    pen = ImageDraw.Draw(image)
    width = (side - 4) // count
    for k in range(count):
        x = 2 + k * width
        pen.line([(x, side // 2), (x + width - 3, side // 2 + height), (x, side // 2 + height)], fill=0, width=1)
    return image


# Stationery (issue 36): a digit written in pen on the paper people write on, as a flat scan or a screenshot of a
# note-taking app. Two styles: "tuned" (what mnist_hub.preprocessing.paper was tuned on) and "held-out" (other
# colours, thicknesses, spacings, pens and resampling, never looked at while tuning).
PAPER_KINDS = ("ruled", "squared", "margin", "box")
PAPER_STYLES = {
    "tuned": {
        "lines": [(170, 200, 235)],
        "margin": (230, 120, 120),
        "box": [(40, 40, 40)],
        "inks": [(20, 40, 150), (25, 25, 25)],
        "width": (1, 1),
        "resample": Image.Resampling.BILINEAR,
    },
    "held-out": {
        "lines": [(190, 190, 190), (170, 215, 170), (200, 185, 225)],
        "margin": (220, 80, 100),
        "box": [(90, 90, 120), (0, 0, 0)],
        "inks": [(10, 20, 90), (60, 60, 60), (30, 90, 40)],
        "width": (2, 2),
        "resample": Image.Resampling.LANCZOS,
    },
}


def comb_field(digits: list[np.ndarray], rng: np.random.Generator, style: str = "tuned", empty: int = 0) -> Image.Image:
    """MNIST digits (28x28 uint8 each) written one per box of a form's comb field, left to right, with ``empty``
    boxes left over at its end; in ``style`` (``PAPER_STYLES``): the boxes' lines, the ink, the resampling."""
    look = PAPER_STYLES[style]
    height = int(rng.integers(60, 111))  # a box's height
    width = round(height * rng.uniform(0.75, 1.0))
    thick = int(rng.integers(look["width"][0], look["width"][1] + 1)) + 1
    pad = round(height * rng.uniform(0.3, 0.8))
    boxes = len(digits) + empty
    top = pad
    page = Image.new("RGB", (boxes * width + 2 * pad, height + 2 * pad), "white")
    pen = ImageDraw.Draw(page)
    line = look["box"][int(rng.integers(len(look["box"])))]
    pen.rectangle([pad, top, pad + boxes * width, top + height], outline=line, width=thick)
    for k in range(1, boxes):
        pen.line([(pad + k * width, top), (pad + k * width, top + height)], fill=line, width=thick)
    alpha = np.zeros((page.height, page.width), np.float32)
    for k, digit in enumerate(digits):
        crop = Image.fromarray((ink_crop(digit) * 255).astype(np.uint8))
        tall = round(height * rng.uniform(0.55, 0.8))
        wide = min(max(2, round(crop.width * tall / crop.height)), width - 2 * thick - 4)
        crop = crop.resize((wide, tall), look["resample"])
        left = pad + k * width + thick + 2 + int(rng.integers(0, width - wide - 2 * thick - 3))
        y = top + thick + 2 + int(rng.integers(0, height - tall - 2 * thick - 3))
        alpha[y : y + tall, left : left + wide] = np.asarray(crop, np.float32) / 255
    ink = look["inks"][int(rng.integers(len(look["inks"])))]
    written = np.asarray(page, np.float32) * (1 - alpha[..., None]) + np.asarray(ink, np.float32) * alpha[..., None]
    return Image.fromarray(np.clip(written, 0, 255).astype(np.uint8))


def on_paper(digit: np.ndarray, rng: np.random.Generator, kind: str, style: str = "tuned") -> Image.Image:
    """An MNIST digit (28x28 uint8) written on ``kind`` of paper (``PAPER_KINDS``), in ``style``: sitting on a
    ruled line, across a grid's squares, beside a margin line, or inside a printed box."""
    look = PAPER_STYLES[style]
    height = int(rng.integers(60, 121))
    crop = Image.fromarray((ink_crop(digit) * 255).astype(np.uint8))
    crop = crop.resize((max(2, round(crop.width * height / crop.height)), height), look["resample"])
    page = Image.new("RGB", (int(height * rng.uniform(2.6, 3.6)), int(height * rng.uniform(2.2, 3.0))), "white")
    pen = ImageDraw.Draw(page)
    line = look["lines"][int(rng.integers(len(look["lines"])))]
    thick = int(rng.integers(look["width"][0], look["width"][1] + 1))
    left = int(rng.uniform(0.35, 0.55) * (page.width - crop.width))
    bottom = int(rng.uniform(0.6, 0.75) * page.height)
    if kind in ("ruled", "margin"):
        spacing = height / rng.uniform(0.6, 0.9)
        for y in np.arange(bottom % spacing, page.height, spacing):
            pen.line([(0, round(y)), (page.width, round(y))], fill=line, width=thick)
        if kind == "margin":
            x = left - int(rng.uniform(0.2, 0.6) * height)
            pen.line([(x, 0), (x, page.height)], fill=look["margin"], width=thick + 1)
    elif kind == "squared":
        cell = height * rng.uniform(0.35, 0.6)
        for y in np.arange(bottom % cell, page.height, cell):
            pen.line([(0, round(y)), (page.width, round(y))], fill=line, width=thick)
        for x in np.arange(rng.uniform(0, cell), page.width, cell):
            pen.line([(round(x), 0), (round(x), page.height)], fill=line, width=thick)
    elif kind == "box":
        pad = int(rng.uniform(0.15, 0.4) * height)
        box = [left - pad, bottom - height - pad, left + crop.width + pad, bottom + pad]
        pen.rectangle(box, outline=look["box"][int(rng.integers(len(look["box"])))], width=thick + 1)
    else:
        raise ValueError(f"kind must be one of {PAPER_KINDS}, not {kind!r}")
    ink = look["inks"][int(rng.integers(len(look["inks"])))]
    alpha = np.zeros((page.height, page.width), np.float32)
    alpha[bottom - height : bottom, left : left + crop.width] = np.asarray(crop, np.float32) / 255
    paper = np.asarray(page, np.float32)
    written = paper * (1 - alpha[..., None]) + np.asarray(ink, np.float32) * alpha[..., None]
    return Image.fromarray(np.clip(written, 0, 255).astype(np.uint8))
