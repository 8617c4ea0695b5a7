"""Turn images into what the network expects: (N, 1, 28, 28) float32 in [0, 1], white ink on black.

``prepare_image`` reproduces how MNIST itself was prepared (see the README): find the ink whatever its colour,
crop to it, fit it into a 20x20 box keeping the aspect ratio, and centre it by its centre of mass in 28x28.
Drawings and photos differ from MNIST in size, position, stroke width and polarity; this undoes all four. A phone
photo of a digit on paper adds uneven light, shadows, grain and the table at the border: ``photo_ink`` reads the
paper's brightness locally and keeps only the digit's own strokes.
The app, the evaluation scripts, the command line and the tests all use this one function.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

SIDE = 28  # the network's input
BOX = 20  # MNIST fits each digit into a 20x20 box inside the 28x28 image
WORK_SCALE = 4  # strokes are measured and thickened at 4x the box size (an 80 px box)
MAX_SIDE = 1024  # any larger picture is downscaled first: bounded cost whatever the upload
# Pictures are checked for their size before they are decoded. Decoded at full size (PNG, WebP, GIF, BMP, TIFF and
# progressive JPEG, which libjpeg must buffer whole): up to 24 megapixels, a 24 MP camera's full picture or any
# screen's screenshot, under ~250 MB to read. A baseline JPEG, what phone cameras write, is decoded at 1/2 to 1/8
# of its size (draft): up to Pillow's own bomb limit (~179 MP; a 108 MP phone photo in ~40 ms and ~30 MB).
MAX_PIXELS = 24_000_000
MAX_JPEG_PIXELS = 2 * Image.MAX_IMAGE_PIXELS
MAX_FILE_BYTES = 64 * 1024 * 1024  # a file is read up to this size: the demo's uploads stop at 10 MB
STROKE_WIDTH = 2.2  # median stroke width of MNIST test digits in the 20 px box (measured: 2.14 at threshold 0.5)
THICK_SLACK = 0.5  # strokes up to this many px (in the box) thicker than MNIST are left alone (see fit_in_box)
INK_THRESHOLD = 0.2  # after normalising, fainter pixels are background noise
MIN_CONTRAST = 0.12  # an image whose ink differs less than this from its background is blank
MIN_LARGEST_SHARE = 0.35  # ink whose largest connected piece holds less than this is noise (MNIST test: >= 0.45)
FLAT = 1.5 / 255  # a canvas's background pixels are all one value, give or take rounding
FLAT_SHARE = 0.5  # a picture with fewer flat background pixels than this is a photo or a scan: see photo_ink
PHOTO_MIN_SIDE = 160  # smaller pictures are icons or upscaled thumbnails, not phone photos
PHOTO_SIDE = 256  # photos are read at this size: a digit a third of the photo still spans the 80 px working box
BACKGROUND_SCALE = 1 / 8  # the local background ignores dark shapes narrower than this share of the picture
UNEVEN_BACKGROUND = 0.06  # a local background varying more than this is uneven light: read as a photo
MIN_PIECE_SHARE = 0.06  # in a photo, ink pieces lighter than this share of the digit's main piece are specks
NEIGHBOUR_REACH = 0.3  # the digit's other pieces lie within this share of its main piece's size from it
NUMBER_GAP = 1.0  # a number's next digit, on the same line, lies within this share of a digit's height
POLARITY_TAIL = 1.0  # percent of a photo's pixels at each end that tell light strokes from dark (light_strokes)
EIGHT_NEIGHBOURS = np.ones((3, 3), dtype=bool)  # pieces of ink are pixels touching by an edge or a corner
EIGHT_NEIGHBOURS.setflags(write=False)


class ImageError(ValueError):
    """The input cannot be read as an image; the message is one line meant for the user."""


def mnist_to_tensor(images: torch.Tensor) -> torch.Tensor:
    """MNIST-style uint8 images (N, 28, 28), already centred and size-normalised, as model input."""
    if images.dtype != torch.uint8 or images.dim() != 3:
        raise ValueError(f"expected uint8 images of shape (N, H, W), got {images.dtype} {tuple(images.shape)}")
    return images.unsqueeze(1).to(torch.float32).div_(255.0)


def to_pixels(image: torch.Tensor) -> np.ndarray:
    """A model input (1, 1, 28, 28) in [0, 1] as the 28x28 uint8 picture it is, white ink on black like MNIST:
    the inverse of ``mnist_to_tensor`` (what the demo shows, what a correction stores)."""
    return (image.reshape(SIDE, SIDE).clamp(0, 1) * 255).round().to(torch.uint8).numpy()


def prepare_image(image: Any) -> torch.Tensor | None:
    """Prepare any picture of one digit like MNIST: (1, 1, 28, 28) float32 in [0, 1], or None when there is none.

    ``image`` may be a PIL image of any mode, a numpy array (HxW, HxWx1/3/4; uint8, uint16, bool or float), a
    file path, raw bytes, or Gradio's sketch value (a dict whose ``composite`` is used). Dark-on-light and
    light-on-dark are both understood; transparency is flattened onto the background that suits the ink.
    None means no digit: the picture is blank, uniform, or noise. Raises ``ImageError`` for something that is
    not a readable image.
    """
    grey = to_grey(image)
    if grey is None:
        return None
    ink = extract_ink(grey)
    return None if ink is None else prepare_ink(ink)


def prepare_ink(ink: np.ndarray) -> torch.Tensor:
    """Ink already found and cropped (``extract_ink``, ``segmentation.candidates``) as MNIST input (1, 1, 28, 28)."""
    return torch.from_numpy(center_in_28(fit_in_box(ink))[None, None])


def to_grey(image: Any) -> np.ndarray | None:
    """Any accepted input as an HxW grey array (at most MAX_SIDE on a side), transparency flattened: float32 in
    [0, 1]."""
    if isinstance(image, Mapping):  # Gradio's ImageEditor / Sketchpad value
        if "composite" not in image:
            raise ImageError("The sketch value has no 'composite' image.")
        image = image["composite"]
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
        return flatten(*split_alpha(shrink_array(array_to_unit(image))))
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
        return shrink_array(np.clip(values, 0, 1)), None
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
    """A numpy image as float32 in [0, 1], HxW or HxWxC."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)) or 0 in array.shape[:2]:
        raise ImageError(f"An image array must be HxW, HxWx3 or HxWx4, not {array.shape}.")
    if array.dtype == bool:
        return array.astype(np.float32)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if array.dtype == np.uint16:
        return array.astype(np.float32) / 65535.0
    if not np.issubdtype(array.dtype, np.number):
        raise ImageError(f"Cannot read an array of {array.dtype} as an image.")
    array = np.nan_to_num(array.astype(np.float32))
    return np.clip(array / 255.0 if array.max() > 1.0 else array, 0.0, 1.0)


def shrink_array(array: np.ndarray) -> np.ndarray:
    """Downscale a unit-range array to at most MAX_SIDE on a side (area averaging)."""
    height, width = array.shape[:2]
    factor = max(height, width) / MAX_SIDE
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


def extract_ink(grey: np.ndarray) -> np.ndarray | None:
    """The ink as white on black in [0, 1], cropped to its bounding box; None when there is no digit.

    A drawing's background is one level, read from the whole picture; a light border means dark ink. A photo's
    is not: when the background is not one flat value and the light is uneven (see ``photo_ink``), the paper is
    estimated pixel by pixel instead. A drawing pays only for the flatness check on a sample. ``grey`` is
    ``to_grey``'s: float32 in [0, 1].
    """
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    step = max(1, int(np.sqrt(grey.size / 4096)))  # the median of a ~4k-pixel sample is plenty
    sample = grey[::step, ::step]
    background = float(np.median(sample))  # the paper's level
    flat = np.count_nonzero(np.abs(sample - background) <= FLAT) >= FLAT_SHARE * sample.size  # a digital canvas
    if not flat and min(grey.shape) >= PHOTO_MIN_SIDE:
        photo = photo_ink(grey)
        if photo is not None:
            return photo if photo.size else None
    dark = float(np.median(border)) > 0.5
    ink = background - grey if dark else grey - background
    contrast = float(ink.max())
    if contrast < MIN_CONTRAST:
        return None
    mask = ink >= INK_THRESHOLD * contrast
    box = bounding_box(mask)
    if box is None or (box == whole(grey) and is_scattered(mask, ink)):
        return None
    return scaled_ink(ink[box], contrast)


def scaled_ink(ink: np.ndarray, contrast: float) -> np.ndarray:
    """``ink`` divided by its contrast, what is fainter than ``INK_THRESHOLD`` of it dropped, capped at 1: the
    last step of every path of ``extract_ink``."""
    scaled = ink / contrast
    np.putmask(scaled, scaled < INK_THRESHOLD, 0.0)
    return np.minimum(scaled, 1.0, out=scaled)


def whole(picture: np.ndarray) -> tuple[slice, slice]:
    """The bounding box of every pixel of ``picture``, as ``bounding_box`` gives it."""
    return slice(0, picture.shape[0]), slice(0, picture.shape[1])


def bounding_box(mask: np.ndarray) -> tuple[slice, slice] | None:
    """The (rows, columns) slices of the smallest box holding every True pixel of ``mask``; None when none is."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def edge_labels(labels: np.ndarray, margin: int) -> np.ndarray:
    """The labels (0, the background, among them) found within ``margin`` pixels of the picture's edge."""
    band = [labels[:margin], labels[-margin:], labels[:, :margin].T, labels[:, -margin:].T]
    return np.unique(np.concatenate([b.ravel() for b in band]))


def photo_ink(grey: np.ndarray) -> np.ndarray | None:
    """The ink of a photo of paper under uneven light, cropped like ``extract_ink``'s; None if it is not one.

    The paper's brightness is estimated locally by a grey closing (a large max- then min-filter, which erases
    strokes narrower than ``BACKGROUND_SCALE`` of the picture but keeps shadows, light falloff and the table),
    and the picture is divided by it, so ink is what is darker than the paper around it (light strokes on a
    dark board are read the same way, inverted). The threshold is set above the grain. Pieces of ink at the
    picture's edge (the page edge, the table) are dropped; the digit is the most stroke-like piece left and the
    pieces of some weight near it, or beside it on its line (a number's other digits). Returns None when the
    light is even (the one-level path reads that as well) and an empty array when a photo holds no ink. Tuned
    on ``synthetic.photograph(style="desk")`` and, for numbers, ``photograph_number`` of training digits.
    """
    small = ndimage.gaussian_filter(shrink_to(grey, PHOTO_SIDE), 1.0)
    size = max(5, round(max(small.shape) * BACKGROUND_SCALE)) | 1
    if light_strokes(small, size):  # chalk on a board, a white pen: read as dark ink on light paper
        small = 1.0 - small
    background = ndimage.grey_closing(small, size=(size, size))  # the paper behind the ink
    inner = background[size:-size, size:-size] if min(background.shape) > 3 * size else background
    if float(np.percentile(inner, 95) - np.percentile(inner, 5)) < UNEVEN_BACKGROUND:
        return None
    ink = np.clip(1.0 - small / np.maximum(background, 1e-3), 0.0, 1.0)
    centre = float(np.median(ink))
    noise = 1.4826 * float(np.median(np.abs(ink - centre)))
    contrast = float(np.percentile(ink, 99.9))
    if contrast - centre < MIN_CONTRAST:
        return np.zeros((0, 0), dtype=np.float32)
    threshold = max(centre + INK_THRESHOLD * (contrast - centre), centre + 6 * noise)
    mask = ink >= threshold
    labels, count = ndimage.label(mask, structure=EIGHT_NEIGHBOURS)
    if count == 0:
        return np.zeros((0, 0), dtype=np.float32)
    index = np.arange(1, count + 1)
    mass = ndimage.sum_labels(ink, labels, index=index)
    margin = max(2, max(labels.shape) // 64)  # blur and resampling can leave a gap of a pixel or two at the edge
    edge = edge_labels(labels, margin)
    mass[edge[edge > 0] - 1] = 0.0  # at the picture's edge: the table, the page edge, not the digit
    if float(mass.max()) <= 0:
        return np.zeros((0, 0), dtype=np.float32)
    # The digit is the most stroke-like piece: ink mass per unit of half-width favours long thin strokes over
    # the wedges of shadow that a table corner leaves; its neighbours of some weight are its other strokes.
    radius = ndimage.maximum(ndimage.distance_transform_edt(mask), labels, index=index)
    main = int(np.argmax(mass / np.maximum(radius, 1.5)))
    boxes = ndimage.find_objects(labels)
    reach = NEIGHBOUR_REACH * max(b.stop - b.start for b in boxes[main])
    line_reach = NUMBER_GAP * (boxes[main][0].stop - boxes[main][0].start)
    heavy = mass >= MIN_PIECE_SHARE * mass[main]
    chosen = np.zeros(count, dtype=bool)
    chosen[main] = True
    grown = True
    while grown:  # the digit's other pieces, and a number's other digits, each near one already kept
        grown = False
        for k in np.flatnonzero(heavy & ~chosen):
            if any(
                near(boxes[k], boxes[j], reach) or in_line(boxes[k], boxes[j], line_reach)
                for j in np.flatnonzero(chosen)
            ):
                chosen[k] = grown = True
    keep = np.concatenate([[False], chosen])[labels]
    crop = np.where(keep, ink, 0.0)[bounding_box(keep)]
    return scaled_ink(crop - centre, max(float(np.percentile(crop[crop > 0], 95)) - centre, 1e-6)).astype(np.float32)


def light_strokes(small: np.ndarray, size: int) -> bool:
    """True when a photo's strokes are lighter than the surface around them (chalk on a board, a white pen).

    Strokes are thin and cover little of the picture: against the picture blurred over ``size`` (the background's
    scale), they make a long tail on their side of the difference, and the surface around them a short one on the
    other. The side whose ``POLARITY_TAIL`` percentile reaches further is the strokes'. (Comparing how much
    lighter and darker than a grey opening and closing each pixel is, the rule before, misread the gaps of
    strokes close together, a number's above all, as light strokes: 38 of 600 desk photos of numbers and
    their inverted copies, against none now; tuned on the desk photos only.)
    """
    difference = small - ndimage.gaussian_filter(small, size / 4)
    low, high = np.percentile(difference, (POLARITY_TAIL, 100 - POLARITY_TAIL))
    return float(high) > -float(low)


def near(a: tuple[slice, slice], b: tuple[slice, slice], reach: float) -> bool:
    """True when bounding boxes ``a`` and ``b`` come within ``reach`` pixels of each other."""
    return all(x.start < y.stop + reach and x.stop > y.start - reach for x, y in zip(a, b, strict=True))


def in_line(a: tuple[slice, slice], b: tuple[slice, slice], reach: float) -> bool:
    """True when bounding boxes ``a`` and ``b`` share half the shorter one's rows and lie within ``reach`` pixels
    of each other side by side: the next digit of a number written on a line."""
    rows = min(a[0].stop, b[0].stop) - max(a[0].start, b[0].start)
    shorter = min(a[0].stop - a[0].start, b[0].stop - b[0].start)
    return rows >= 0.5 * shorter and a[1].start < b[1].stop + reach and a[1].stop > b[1].start - reach


def shrink_to(grey: np.ndarray, side: int) -> np.ndarray:
    """A grey image downscaled (area averaging) to at most ``side`` pixels on a side."""
    factor = max(grey.shape) / side
    if factor <= 1:
        return grey
    size = (max(1, round(grey.shape[0] / factor)), max(1, round(grey.shape[1] / factor)))
    return F.interpolate(torch.from_numpy(np.ascontiguousarray(grey))[None, None], size=size, mode="area")[0, 0].numpy()


def is_scattered(mask: np.ndarray, ink: np.ndarray) -> bool:
    """True when no connected piece of ink (8-neighbours) holds MIN_LARGEST_SHARE of it: noise, not a digit.

    A digit is one stroke or a few; the most broken MNIST test digit still has 45% of its ink in one piece.
    """
    labels, count = ndimage.label(mask, structure=EIGHT_NEIGHBOURS)
    if count <= 1:
        return False
    mass = ndimage.sum_labels(ink, labels, index=np.arange(1, count + 1))
    return float(mass.max()) < MIN_LARGEST_SHARE * float(mass.sum())


def stroke_width(mask: np.ndarray | torch.Tensor) -> float:
    """Estimated stroke width in pixels of a boolean mask: 2 x area / boundary pixels (exact for long strokes)."""
    mask = np.asarray(mask, dtype=bool)
    eroded = ndimage.binary_erosion(mask, EIGHT_NEIGHBOURS, border_value=0)  # outside the picture: background
    area = int(np.count_nonzero(mask))
    boundary = area - int(np.count_nonzero(eroded))
    return 2.0 * area / boundary if boundary > 0 else 1.0


def fit_in_box(ink: np.ndarray) -> np.ndarray:
    """The cropped ink fitted into BOX x BOX keeping its aspect ratio, strokes as thick as MNIST's.

    Works at WORK_SCALE x the box size: a max-pool downscale keeps thin strokes, a dilation brings thin
    strokes up to MNIST's width and an erosion thins thick ones towards it (``THICK_SLACK``, measured in
    benchmarks/README.md), then area averaging anti-aliases down to the box.
    """
    ink = np.ascontiguousarray(ink, dtype=np.float32)
    height, width = ink.shape
    work = BOX * WORK_SCALE
    scale = work / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    if scale < 1:  # max-pooling keeps thin strokes however much smaller the box is
        ink = F.adaptive_max_pool2d(torch.from_numpy(ink[None, None]), size).numpy()[0, 0]
    else:
        t = F.interpolate(torch.from_numpy(ink[None, None]), size=size, mode="bilinear", align_corners=False)
        ink = t.numpy()[0, 0]
    target = STROKE_WIDTH * WORK_SCALE
    change = round(target - stroke_width(ink > 0.5))
    if change >= 2:  # thin pen: dilate
        ink = ndimage.maximum_filter(ink, min(change, 4 * WORK_SCALE) | 1, mode="constant", cval=0.0)
    elif change <= -THICK_SLACK * WORK_SCALE:  # thick pen: erode towards MNIST's width
        ink = ndimage.minimum_filter(ink, min(-change, 4 * WORK_SCALE) | 1, mode="constant", cval=0.0)
    height, width = ink.shape
    scale = BOX / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    box = F.adaptive_avg_pool2d(torch.from_numpy(np.ascontiguousarray(ink)[None, None]), size).numpy()[0, 0]  # "area"
    return box / max(float(box.max()), 1e-6)


def center_in_28(digit: np.ndarray) -> np.ndarray:
    """Paste into SIDE x SIDE so the centre of mass sits at the centre, as MNIST did. (numpy: a dozen small
    torch calls cost a sketch about 0.1 ms more, measured in sequence.)"""
    height, width = digit.shape
    mass = digit.sum()
    com_y = float((digit.sum(1) * np.arange(height, dtype=np.float32)).sum() / mass)
    com_x = float((digit.sum(0) * np.arange(width, dtype=np.float32)).sum() / mass)
    top = min(max(round(SIDE / 2 - com_y), 0), SIDE - height)
    left = min(max(round(SIDE / 2 - com_x), 0), SIDE - width)
    out = np.zeros((SIDE, SIDE), dtype=np.float32)
    out[top : top + height, left : left + width] = digit
    return out
