"""Numbers written in a person's hand, made from handwriting fonts, for the tests and the benchmarks (issue 36).

MNIST's digits come one at a time; a person writes numbers: a narrow "1" beside a wide digit, digits close enough to
touch, a slant, each glyph a little off the line. ``write_in_font`` sets a number in one of the handwriting fonts
Debian packages, with those habits drawn at random, on plain paper or sitting on a ruled line.

The fonts are split by Debian package, never within one: ``tuned`` is what the number reader's rules were looked at
with, ``held-out`` was only measured (benchmarks/README.md says which is which). Install them with
``apt-get install`` and the packages named in ``FONTS`` (``fonts`` names the missing ones in one line). Two
handwriting fonts Debian has are left out: femkeklaver draws its digits as hollow outlines, and sjfonts' Delphine
its 1 with a long lead-in stroke, which no pen writes that way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFont

FONT_ROOT = Path("/usr/share/fonts")
FONTS = {  # Debian package: its font files under FONT_ROOT
    "tuned": {
        "fonts-bwht": [f"opentype/bwht/BecauseWe{n}-Regular.otf" for n in ("Learn", "Build", "Create", "Connect")],
        "fonts-dkg-handwriting": ["truetype/fifthhorseman/dkg.ttf", "truetype/fifthhorseman/dkgIt.ttf"],
        "fonts-humor-sans": ["truetype/humor-sans/Humor-Sans.ttf"],
        "fonts-kaushanscript": ["opentype/kaushanscript/KaushanScript-Regular.otf"],
    },
    "held-out": {
        "fonts-breip": ["truetype/breip/Breip.ttf"],
        "fonts-dancingscript": ["opentype/dancingscript/DancingScript-Regular.otf"],
        "fonts-klee": ["truetype/klee/KleeOne-Regular.ttf"],
        "fonts-rufscript": ["truetype/rufscript/Rufscript010.ttf"],
        "fonts-sjfonts": ["truetype/sjfonts/SteveHand.ttf"],
        "fonts-yusei-magic": ["truetype/yusei-magic/YuseiMagic-Regular.ttf"],
    },
}
PAPERS = ("plain", "ruled")
INKS = [(20, 40, 150), (25, 25, 25), (60, 60, 60)]
RULE = (170, 200, 235)


class MissingFonts(RuntimeError):
    """A handwriting font package is not installed."""


def fonts(style: str) -> list[Path]:
    """The font files of ``style`` (``"tuned"`` or ``"held-out"``); raises ``MissingFonts`` naming what to install."""
    files = {package: [FONT_ROOT / name for name in names] for package, names in FONTS[style].items()}
    missing = sorted(package for package, paths in files.items() if not all(p.is_file() for p in paths))
    if missing:
        raise MissingFonts(f"handwriting fonts missing: apt-get install {' '.join(missing)}")
    return [path for paths in files.values() for path in paths]


def random_number(rng: np.random.Generator, lengths: tuple[int, int] = (2, 5), ones: float = 0.25) -> str:
    """A number of 2-5 digits, each a "1" with probability ``ones`` (years, prices and codes are full of them) and
    any other digit otherwise."""
    length = int(rng.integers(lengths[0], lengths[1] + 1))
    others = [0, 2, 3, 4, 5, 6, 7, 8, 9]
    return "".join("1" if rng.random() < ones else str(others[int(rng.integers(len(others)))]) for _ in range(length))


def write_in_font(text: str, font: Path, rng: np.random.Generator, paper: str = "plain") -> Image.Image:
    """``text`` written in ``font`` as a person writes: digits 50-130 px high, set at 80-100 % of the font's own
    advance (close, sometimes touching), each glyph turned by up to ±4° and moved off the baseline by up to ±5 %,
    the whole slanted by 0-12°, in blue, black or grey ink; on ``paper`` (``PAPERS``): plain, or ruled with the
    number sitting on a line."""
    height = int(rng.integers(50, 131))
    face = ImageFont.truetype(str(font), size=round(height * 1.4))
    top, bottom = face.getbbox("0123456789", anchor="ls")[1::2]
    face = ImageFont.truetype(str(font), size=max(8, round(face.size * height / max(1, bottom - top))))
    glyphs = []
    for char in text:
        left, up, right, down = face.getbbox(char, anchor="ls")
        glyph = Image.new("L", (right - left + 8, down - up + 8), 0)
        ImageDraw.Draw(glyph).text((4 - left, 4 - up), char, fill=255, font=face, anchor="ls")
        glyph = glyph.rotate(rng.uniform(-4, 4), resample=Image.Resampling.BICUBIC, expand=True)
        glyphs.append((glyph, up, face.getlength(char)))
    margin = height
    sheet = Image.new("L", (round(sum(g[2] for g in glyphs)) + 2 * margin + 20, 3 * height), 0)
    baseline, x = 2 * height, float(margin)
    for glyph, up, advance in glyphs:
        layer = Image.new("L", sheet.size, 0)
        y = baseline + up - 4 + round(rng.uniform(-0.05, 0.05) * height)
        layer.paste(glyph, (round(x), y))
        sheet = ImageChops.lighter(sheet, layer)
        x += advance * rng.uniform(0.8, 1.0)
    slant = np.tan(np.radians(rng.uniform(0, 12)))  # x shifts right going up: x_in = x_out + slant * (y - baseline)
    sheet = sheet.transform(
        sheet.size, Image.Transform.AFFINE, (1, slant, -slant * baseline, 0, 1, 0), Image.Resampling.BICUBIC
    )
    box = sheet.getbbox() or (0, 0, sheet.width, sheet.height)
    left, right = max(0, box[0] - round(rng.uniform(0.3, 1.0) * height)), box[2] + round(rng.uniform(0.3, 1.0) * height)
    page = Image.new("RGB", (right - left, sheet.height), tuple(int(v) for v in rng.integers(235, 256, 3)))
    if paper == "ruled":
        pen, spacing = ImageDraw.Draw(page), height / rng.uniform(0.6, 0.85)
        for y in np.arange(baseline % spacing, page.height, spacing):
            pen.line([(0, round(y)), (page.width, round(y))], fill=RULE, width=int(rng.integers(1, 3)))
    elif paper != "plain":
        raise ValueError(f"paper must be one of {PAPERS}, not {paper!r}")
    alpha = np.asarray(sheet.crop((left, 0, right, sheet.height)), np.float32)[..., None] / 255
    ink = np.asarray(INKS[int(rng.integers(len(INKS)))], np.float32)
    written = np.asarray(page, np.float32) * (1 - alpha) + ink * alpha
    return Image.fromarray(np.clip(written, 0, 255).astype(np.uint8))
