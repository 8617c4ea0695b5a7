"""The demo's API and MCP tools: what a picture reads as, for the page and for programs alike.

Each ``*_tool`` makes the function Gradio exposes under its name (``/read_drawing``, ``/read_picture``,
``/read_number``, ``/look_inside``); its docstring is what ``gradio_client`` and MCP agents are told. A drawing comes
as a PNG data URL and is checked before anything decodes it.
"""

from __future__ import annotations

import base64
import binascii
import io

import gradio as gr

from mnist_hub.inside import inside_of
from mnist_hub.numbers import read_number
from mnist_hub.preprocessing import ImageError, check_image_file
from serving.inside_view import inside_html, inside_json
from serving.readings import Shown, show
from serving.showcase import Showcase

NO_DIGIT = "No digit found: the image is blank, uniform or noise"
NO_PICTURE = "No picture yet: upload a picture of a digit or a number"
SKETCH_MAX_PIXELS = 2048 * 2048  # a drawing comes from a 280x280 canvas: refused beyond this before it is decoded
SKETCH_PREFIX = "data:image/png;base64,"
SKETCH_SHAPE = 'a PNG as a data URL ("data:image/png;base64,..."), or "" for an empty canvas'


def drawing_bytes(data_url: str) -> bytes:
    """The PNG a drawing pad sent, checked before anything decodes it; ``ImageError`` with one line if it is not
    a PNG data URL of a picture of at most ``SKETCH_MAX_PIXELS``."""
    if not isinstance(data_url, str) or not data_url.startswith(SKETCH_PREFIX):
        raise ImageError(f"Malformed input: send {SKETCH_SHAPE}.")
    try:
        data = base64.b64decode(data_url[len(SKETCH_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ImageError(f"Malformed input: the drawing is not valid base64; send {SKETCH_SHAPE}.") from None
    check_image_file(io.BytesIO(data), "The drawing", SKETCH_MAX_PIXELS)
    return data


def reader(showcase: Showcase, nothing: str, no_digit: str, drawing: bool):
    """What a picture reads as, for the page and the API alike: a ``Shown``; ``ImageError`` when unreadable."""

    def shown(value) -> Shown:
        if value is None or value == "":
            return show([], nothing)
        picture = drawing_bytes(value) if drawing else value
        found, digits = read_number(showcase.model, picture, printed=not drawing)  # the pad has no paper
        return show(digits, no_digit, None if found is None else found.ink)

    return shown


def read_drawing_tool(shown_for):
    def read_drawing(drawing: str):
        """Read a drawing of a handwritten digit or number, as the demo's drawing pad sends it.

        Args:
            drawing: the drawing as a PNG data URL ("data:image/png;base64,..."), dark ink on a light background;
                "" for an empty pad.

        Returns:
            the answer (the digit's top 3, "Number: 2024", "This doesn't look like a digit" or that nothing is
            drawn), the 28x28 inputs as HTML, and the reading: {"text", "digits": [{"digit", "is_digit", "score",
            "top3", "image", "box"}]}, one entry per digit, left to right ("box": [top, bottom, left, right] of the
            digit in the ink read, for a number).
        """
        return api_reading(shown_for, drawing)

    return read_drawing


def read_picture_tool(shown_for):
    def read_picture(image):
        """Read a picture of a handwritten digit or number: a drawing, a scan or a phone photo of paper.

        Args:
            image: the picture (PNG, JPEG, WebP, GIF or BMP): at most 10 MB uploaded, ~3 MB as an MCP data URL.

        Returns:
            the answer (the digit's top 3, "Number: 2024", "This doesn't look like a digit" or "No digit found"),
            the 28x28 inputs as HTML, and the reading: {"text", "digits": [{"digit", "is_digit", "score", "top3",
            "image", "box"}]}, one entry per digit, left to right; "score" is the calibrated confidence (0.1 to 1) and
            "is_digit" false means the picture is not a digit ("digit" is then the closest one).
        """
        return api_reading(shown_for, image)

    return read_picture


def read_number_tool(shown_for):
    def read_number(image):
        """Read a handwritten number (or a single digit) in a picture, digit by digit, left to right.

        Args:
            image: the picture (PNG, JPEG, WebP, GIF or BMP): at most 10 MB uploaded, ~3 MB as an MCP data URL.

        Returns:
            the digits read as text ("2024"; a piece that is not a digit is "?"; "" when there is no digit), and
            each digit's answer: {"digit", "is_digit", "score", "top3", "image", "box"}; a number is read by
            recognition, so digits that touch or overlap are read apart ("box": where each digit lies, [top,
            bottom, left, right] in the ink read).
        """
        if image is None:
            return "", []
        reading = api_reading(shown_for, image)[2]
        return reading["text"], reading["digits"]

    return read_number


def look_inside_tool(showcase: Showcase, shown_for):
    def look_inside(image):
        """See what each layer of the network makes of a picture of one digit (the first digit of a number).

        Args:
            image: the picture (PNG, JPEG, WebP, GIF or BMP): at most 10 MB uploaded, ~3 MB as an MCP data URL.

        Returns:
            the view as HTML (every stage's maps, the attribution over the input, the dense layers, the filters),
            and its numbers: the answer, each stage's shape, the dense layers' values and the 28x28 attribution
            (how much each pixel pushed the answer's score up or down).
        """
        kept = shown_or_error(shown_for, image).kept
        if not kept:
            return f"<p>{NO_DIGIT}</p>", {}
        inside = inside_of(showcase.model, kept[0][0], snapshots=showcase.snapshots)
        return inside_html(inside, no_epochs=showcase.snapshots_note), inside_json(inside)

    return look_inside


def shown_or_error(shown_for, value) -> Shown:
    """What an API call's picture reads as; an unreadable one is ``gr.Error`` with its one-line reason."""
    try:
        return shown_for(value)
    except ImageError as err:
        raise gr.Error(str(err), print_exception=False) from None


def api_reading(shown_for, value):
    """The label, the 28x28 inputs (HTML) and the structured reading of an API call."""
    shown = shown_or_error(shown_for, value)
    return shown.label, shown.seen, shown.reading
