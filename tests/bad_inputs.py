"""The awkward uploads a public demo gets, each with what the user must see: one catalogue for both
the ``prepare_image`` tests and the tests against the running app."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from training.synthetic import FOUR, ONE, SEVEN, draw

NO_DIGIT = None  # the expected digit when the answer must be "no digit found"


@dataclass(frozen=True)
class Case:
    """``make(path)`` writes the file; the answer is either an error matching ``error`` or ``digit``."""

    make: Callable[[Path], None]
    error: str | None = None
    digit: int | None = NO_DIGIT


def png_bytes(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def write_bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def save(image: Image.Image, fmt: str, **options) -> Callable[[Path], None]:
    return write_bytes(png_bytes(image, fmt, **options))


def truncated(fmt: str) -> Callable[[Path], None]:
    data = png_bytes(draw(SEVEN), fmt)
    return write_bytes(data[: len(data) // 2])


def decompression_bomb(path: Path, side: int = 20_000) -> None:
    """A valid 1-bit PNG of side x side (400 million pixels) that is under 100 kB on disk, written row by row."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\0" + b"\xff" * ((side + 7) // 8)  # filter byte, then white pixels
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def grey16(path: Path) -> None:
    image = Image.fromarray(np.asarray(draw(SEVEN, mode="L")).astype(np.uint16) * 257)
    image.save(path, format="PNG")
    assert Image.open(path).mode.startswith("I"), "a 16-bit PNG"


def palette_with_transparency(path: Path) -> None:
    image = draw(SEVEN, mode="RGBA").convert("P")  # the transparent background becomes a palette entry
    image.save(path, format="PNG", transparency=image.info.get("transparency", 0))
    assert Image.open(path).mode == "P" and "transparency" in Image.open(path).info


def animated_gif(path: Path) -> None:
    frames = [draw(SEVEN), draw(ONE), draw(FOUR)]
    frames[0].save(path, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert getattr(Image.open(path), "n_frames", 1) == 3


def exif_rotated_photo(path: Path) -> None:
    """A "1" lying on its side, with the EXIF orientation (8: rotate 90 CW to view) that stands it up."""
    sideways = draw(ONE, box=(0.1, 0.3, 0.8, 0.4)).rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 8
    sideways.save(path, format="JPEG", exif=exif)


def noise(path: Path) -> None:
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (300, 300, 3), dtype=np.uint8)).save(path, format="PNG")


CASES: dict[str, Case] = {
    "empty.png": Case(write_bytes(b""), error="is empty"),
    "text.png": Case(write_bytes(b"hello, I am text pretending to be a PNG"), error="not an image file"),
    "truncated.png": Case(truncated("PNG"), error="damaged or truncated"),
    "truncated.jpg": Case(truncated("JPEG"), error="damaged or truncated"),
    "one-pixel.png": Case(save(Image.new("L", (1, 1), 0), "PNG")),
    "bomb.png": Case(decompression_bomb, error="too large to process safely"),
    "grey16.png": Case(grey16, digit=7),
    "palette-transparent.png": Case(palette_with_transparency, digit=7),
    "animated.gif": Case(animated_gif, digit=7),
    "cmyk.jpg": Case(save(draw(SEVEN).convert("CMYK"), "JPEG"), digit=7),
    "exif-rotated.jpg": Case(exif_rotated_photo, digit=1),
    "white.png": Case(save(Image.new("RGB", (200, 200), "white"), "PNG")),
    "black.png": Case(save(Image.new("RGB", (200, 200), "black"), "PNG")),
    "grey.png": Case(save(Image.new("RGB", (200, 200), (128, 128, 128)), "PNG")),
    "noise.png": Case(noise),
}


def write_case(name: str, folder: Path) -> Path:
    path = folder / name
    CASES[name].make(path)
    return path
