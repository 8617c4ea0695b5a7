"""Reading: any accepted picture as one grey array, float32 in [0, 1], at most ``MAX_SIDE`` on a side.

Files and bytes are checked for their size before they are decoded (a public demo's uploads are anyone's), the
first frame is taken, EXIF orientation applied, and transparency flattened onto the background that suits the ink.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_SIDE = 1024  # any larger picture is downscaled first: bounded cost whatever the upload
# Pictures are checked for their size before they are decoded. Decoded at full size (PNG, WebP, GIF, BMP, TIFF and
# progressive JPEG, which libjpeg must buffer whole): up to 24 megapixels, a 24 MP camera's full picture or any
# screen's screenshot, under ~250 MB to read. A baseline JPEG, what phone cameras write, is decoded at 1/2 to 1/8
# of its size (draft): up to Pillow's own bomb limit (~179 MP; a 108 MP phone photo in ~40 ms and ~30 MB).
MAX_PIXELS = 24_000_000
MAX_JPEG_PIXELS = 2 * Image.MAX_IMAGE_PIXELS
MAX_FILE_BYTES = 64 * 1024 * 1024  # a file is read up to this size: the demo's uploads stop at 10 MB


class ImageError(ValueError):
    """The input cannot be read as an image; the message is one line meant for the user."""


def to_grey(image: Any) -> np.ndarray | None:
    """Any accepted input as an HxW grey array (at most MAX_SIDE on a side), transparency flattened: float32 in
    [0, 1]."""
    if image is None:
        return None
    if isinstance(image, (str, os.PathLike, bytes, bytearray)):
        image = open_image(image)
    if isinstance(image, np.ndarray) and image.dtype == np.uint8 and 0 not in image.shape:
        if image.ndim == 3 and image.shape[2] == 1:
            image = image[:, :, 0]
        if image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4)):
            return flatten(*pil_to_array(Image.fromarray(image)))  # Pillow's C conversions are the fastest
    if isinstance(image, Image.Image):
        return flatten(*pil_to_array(image))
    if isinstance(image, np.ndarray):
        return flatten(*split_alpha(shrink(array_to_unit(image), MAX_SIDE)))
    raise ImageError(f"Cannot read a value of type {type(image).__name__} as an image.")


def open_image(source: str | os.PathLike | bytes | bytearray) -> Image.Image:
    """Open a file or bytes with Pillow: first frame, EXIF orientation applied; a picture too large to decode
    safely (``MAX_PIXELS``, ``MAX_JPEG_PIXELS``) or a file over ``MAX_FILE_BYTES`` is refused before decoding."""
    if isinstance(source, (bytes, bytearray)):
        data, name = bytes(source), "the upload"
    else:
        name = Path(source).name
        try:
            with open(source, "rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
        except OSError as err:
            raise ImageError(f"Cannot read {name}: {err.strerror or err}.") from None
    if not data:
        raise ImageError(f"{name} is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(f"{name} is too large to process safely (more than {MAX_FILE_BYTES // 2**20} MB).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # big but allowed: checked below
            img = Image.open(io.BytesIO(data))
            check_pixels(img, name)
            img.seek(0)  # animated GIF/WebP: the first frame
            img.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at reduced size, cheap for huge photos
            img.load()
            return ImageOps.exif_transpose(img)
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError(too_large(name, MAX_JPEG_PIXELS)) from None
    except UnidentifiedImageError:
        raise ImageError(f"{name} is not an image file Pillow can read.") from None
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise ImageError(f"{name} is damaged or truncated ({err}).") from None


def check_pixels(img: Image.Image, name: str, limit: int | None = None) -> None:
    """Raise ``ImageError`` when an opened (not yet decoded) picture is too large to decode safely: more than
    ``limit`` pixels, by default ``MAX_JPEG_PIXELS`` for a JPEG decoded at reduced size, else ``MAX_PIXELS``."""
    if limit is None:
        reduced = img.format == "JPEG" and not img.info.get("progressive") and not img.info.get("progression")
        limit = MAX_JPEG_PIXELS if reduced else MAX_PIXELS
    if img.width * img.height > limit:
        raise ImageError(too_large(name, limit))


def too_large(name: str, limit: int) -> str:
    return f"{name} is too large to process safely (more than {limit / 1e6:.1f} megapixels)."


def check_image_file(source: str | os.PathLike | BinaryIO, name: str, limit: int | None = None) -> None:
    """Raise ``ImageError`` for a picture too large to decode safely (``check_pixels``), reading only its header:
    for a limit of the caller's own (the demo's drawing pad: a 280x280 canvas) before ``prepare_image`` reads it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(source) as img:
                check_pixels(img, name, limit)
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError(too_large(name, MAX_JPEG_PIXELS)) from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageError(f"{name} is not an image file Pillow can read ({err}).") from None


def pil_to_array(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """Grey values and alpha (or None) in [0, 1], after downscaling to at most MAX_SIDE."""
    if img.width < 1 or img.height < 1:
        raise ImageError("The image has no pixels.")
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        values = np.asarray(img, dtype=np.float32)
        peak = 65535.0 if img.mode.startswith("I;16") or values.max() > 255 else 255.0
        values = values / (peak if img.mode != "F" or values.max() > 1 else 1.0)
        return shrink(np.clip(values, 0, 1), MAX_SIDE), None
    has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
    if img.mode in ("RGBA", "LA") and img.getchannel("A").getextrema()[0] == 255:
        has_alpha = False  # an opaque canvas with an alpha channel, as Gradio's sketch composite is
    if max(img.size) > MAX_SIDE:
        img = img.convert("RGBA" if has_alpha else "RGB")
        img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
    if not has_alpha:
        return np.asarray(img.convert("L"), dtype=np.float32) / 255.0, None
    # "LA": Pillow's luminance of the colour (ITU-R 601) beside the alpha, both in C.
    grey_alpha = np.asarray(img.convert("RGBA").convert("LA"), dtype=np.float32) / 255.0
    return grey_alpha[:, :, 0], grey_alpha[:, :, 1]


def array_to_unit(array: np.ndarray) -> np.ndarray:
    """A numpy image that is not 8-bit (``to_grey`` hands those to Pillow) as float32 in [0, 1], HxW or HxWxC."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)) or 0 in array.shape[:2]:
        raise ImageError(f"An image array must be HxW, HxWx3 or HxWx4, not {array.shape}.")
    if array.dtype == bool:
        return array.astype(np.float32)
    if array.dtype == np.uint16:
        return array.astype(np.float32) / 65535.0
    if not np.issubdtype(array.dtype, np.number):
        raise ImageError(f"Cannot read an array of {array.dtype} as an image.")
    array = np.nan_to_num(array.astype(np.float32))
    return np.clip(array / 255.0 if array.max() > 1.0 else array, 0.0, 1.0)


def shrink(array: np.ndarray, side: int) -> np.ndarray:
    """A unit-range HxW or HxWxC array downscaled (area averaging) to at most ``side`` pixels on a side."""
    height, width = array.shape[:2]
    factor = max(height, width) / side
    if factor <= 1:
        return array
    t = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    t = t.unsqueeze(0).unsqueeze(0) if t.dim() == 2 else t.permute(2, 0, 1).unsqueeze(0)
    size = (max(1, round(height / factor)), max(1, round(width / factor)))
    t = F.interpolate(t, size=size, mode="area")[0]
    return (t[0] if array.ndim == 2 else t.permute(1, 2, 0)).numpy()


def split_alpha(array: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Luminance (ITU-R 601, as Pillow's "L") and alpha of a unit-range HxW / HxWx3 / HxWx4 array."""
    if array.ndim == 2:
        return array, None
    grey = array[:, :, 0] * 0.299 + array[:, :, 1] * 0.587 + array[:, :, 2] * 0.114
    return grey.astype(np.float32), (array[:, :, 3] if array.shape[2] == 4 else None)


def flatten(grey: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Composite onto the background that contrasts with the ink: white for dark ink, black for light ink.

    A transparent drawing keeps its ink in the opaque pixels; their mean brightness says which it is.
    """
    if alpha is None or alpha.min() >= 1.0:
        return grey
    weight = float(alpha.sum())
    if weight <= 0:
        return np.zeros_like(grey)  # fully transparent: nothing drawn
    ink_brightness = float((grey * alpha).sum()) / weight
    background = 1.0 if ink_brightness < 0.5 else 0.0
    return grey * alpha + background * (1.0 - alpha)
