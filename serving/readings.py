"""What the demo shows for a reading, and what a correction of it stores: the logic behind app.py's handlers.

A reading is ``predict_number``'s answer for a picture: one ``Prediction`` per digit, left to right. The page shows
it as a label, the 28x28 inputs and a structured answer for API clients; a correction refers to exactly what was
shown (kept per session), one sample per digit.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from mnist_hub.corrections import LABELS, NOT_A_DIGIT_LABEL, CorrectionError
from mnist_hub.numbers import number_text
from mnist_hub.predict import NOT_A_DIGIT, Prediction
from mnist_hub.preprocessing import to_pixels
from serving.clients import Sender
from serving.quota import Quota
from serving.store import CorrectionStore

RESEMBLES = 0.3  # a refused picture's closest digit is worth showing only from this probability (chance is 0.1)
CUTS_WIDTH = 360  # the "where it cut" view of a number is at most this many pixels wide
BOX_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd")  # each digit's box, in turn


def answer_of(prediction: Prediction) -> str:
    """The answer shown for one digit, as a correction records it: ``"7"`` or ``"not a digit"``."""
    return str(prediction.digit) if prediction.is_digit else NOT_A_DIGIT_LABEL


def png_data_url(pixels: np.ndarray) -> str:
    """A uint8 grey (H, W) or RGB (H, W, 3) picture as a PNG data URL: an image any client or page can open, and
    no file on the server that concurrent requests could share half-written."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return data_url(buffer.getvalue(), "image/png")


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def img_html(pixels: np.ndarray, scale: int, alt: str) -> str:
    """An inline ``<img>`` of a picture, upscaled with square pixels."""
    block = np.ones((scale, scale) + (() if pixels.ndim == 2 else (1,)), dtype=np.uint8)
    big = np.kron(pixels, block)
    return (
        f'<img alt="{html.escape(alt)}" width="{big.shape[1]}" height="{big.shape[0]}" '
        f'style="image-rendering: pixelated" src="{png_data_url(big)}">'
    )


def picture_html(path: Path, alt: str, height: int | None = None) -> str:
    """A picture file as an inline ``<img>`` (its bytes in a data URL; ``height`` in CSS pixels, else its own
    size): the page shows it without naming a file on the server."""
    data = path.read_bytes()
    mime = Image.MIME.get(Image.open(io.BytesIO(data)).format or "", "application/octet-stream")
    size = f'height="{height}" ' if height else 'style="max-width: 100%" '
    return f'<img alt="{html.escape(alt)}" {size}src="{data_url(data, mime)}">'


@dataclass(frozen=True)
class Shown:
    """What the page shows for a reading: ``label`` for ``gr.Label``, ``seen`` (HTML of the 28x28 inputs),
    ``reading`` (the structured answer of the API), and ``kept``: (28x28 input, answer) per digit, which a
    correction of this reading stores."""

    label: dict | str
    seen: str
    reading: dict
    kept: list[tuple[torch.Tensor, str]]


def show(digits: list[Prediction], no_digit_message: str, ink: np.ndarray | None = None) -> Shown:
    """How the demo shows a reading: a digit's top 3, "Number: 2024", or that there is no digit / not a digit.
    With ``ink`` (what the digits' boxes refer to), a number also shows where it was cut."""
    reading = {
        "text": number_text(digits),
        "digits": [
            {**p.as_dict(), "image": png_data_url(to_pixels(p.image)), **({"box": list(p.box)} if p.box else {})}
            for p in digits
        ],
    }
    kept = [(p.image, answer_of(p)) for p in digits]
    if not digits:
        return Shown(no_digit_message, "", reading, kept)
    if len(digits) == 1:
        digit = digits[0]
        if not digit.is_digit:  # a letter, a doodle, a shape: say so; what it resembles only if it resembles one
            return Shown(NOT_A_DIGIT, preview_html(digit) + resemblance_html(digit), reading, kept)
        return Shown(digit.confidences(), preview_html(digit), reading, kept)
    seen = number_html(digits) + (cuts_html(ink, digits) if ink is not None else "")
    if not any(p.is_digit for p in digits):
        return Shown(NOT_A_DIGIT, seen, reading, kept)
    return Shown(f"Number: {number_text(digits)}", seen, reading, kept)


def preview_html(prediction: Prediction, scale: int = 6) -> str:
    """What the model sees, upscaled, as an inline PNG."""
    return img_html(to_pixels(prediction.image), scale, "The 28x28 image the model sees")


def number_html(predictions: list[Prediction], scale: int = 4) -> str:
    """What the model saw for each digit of a number, side by side, each captioned with its digit and confidence."""
    cells = "".join(
        f'<figure style="margin:0 6px 6px 0;text-align:center">{preview_html(p, scale)}'
        f"<figcaption>{p.digit if p.is_digit else '? not a digit'} ({100 * p.top(1)[0][1]:.1f}%)</figcaption></figure>"
        for p in predictions
    )
    return f'<div style="display:flex;flex-wrap:wrap">{cells}</div>'


def cuts_html(ink: np.ndarray, predictions: list[Prediction]) -> str:
    """Where a number was cut: the ink read (dark on light), each digit's box drawn over it in its own colour."""
    scale = min(1.0, CUTS_WIDTH / ink.shape[1])
    size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
    picture = Image.fromarray(np.round(255 * (1 - ink)).astype(np.uint8)).resize(size, Image.Resampling.BOX)
    picture = picture.convert("RGB")
    pen = ImageDraw.Draw(picture)
    for k, p in enumerate(p for p in predictions if p.box):
        top, bottom, left, right = (round(v * scale) for v in p.box)
        pen.rectangle([left, top, max(left, right - 1), max(top, bottom - 1)], outline=BOX_COLOURS[k % 5], width=2)
    alt = f"Where the number was cut: {len(predictions)} boxes, one per digit read"
    return (
        f'<figure style="margin:4px 0"><img alt="{html.escape(alt)}" width="{size[0]}" height="{size[1]}" '
        f'src="{png_data_url(np.asarray(picture))}"><figcaption>Where it cut: one box per digit read'
        "</figcaption></figure>"
    )


def resemblance_html(prediction: Prediction) -> str:
    digit, p = prediction.top(1)[0]
    if p < RESEMBLES:
        return ""
    return f'<p style="opacity:0.7;margin:4px 0">It resembles a {digit} most ({100 * p:.0f}%).</p>'


def labels_for(kept: list[tuple[torch.Tensor, str]], label: str | None) -> list[str]:
    """The label of each digit of a reading from what the person gave: one of ``LABELS`` for one digit, or as many
    digits as were read (``"2024"``) for a number. Raises ``CorrectionError`` saying what to give."""
    label = (label or "").strip()
    if len(kept) == 1:
        if label not in LABELS:
            raise CorrectionError(f"choose a digit 0-9 or '{NOT_A_DIGIT_LABEL}'.")
        return [label]
    if len(label) != len(kept) or not label.isascii() or not label.isdigit():
        raise CorrectionError(f"give the {len(kept)} digits the picture shows, e.g. {'1234567890'[: len(kept)]}.")
    return list(label)


def correct(
    kept: list[tuple[torch.Tensor, str]] | None,
    label: str | None,
    store: CorrectionStore,
    model: str,
    limits: tuple[Quota, Quota],
    sender: Sender,
    file_names: bool = True,
) -> str:
    """Store a correction of the reading ``kept`` (what was shown): one sample per digit with its own 28x28 input,
    its label and the answer shown for it. One line back: saved (with the stored files' names, for an API client,
    with ``file_names``), or why not (and then nothing is stored)."""
    if not kept:
        return "Nothing to correct yet: draw or upload a digit first."
    try:
        labels = labels_for(kept, label)
    except CorrectionError as err:
        return f"Not saved: {err}"
    answers = [answer for _, answer in kept]
    if labels == answers:
        return "That is what the model said: nothing to correct."
    per_client, everyone = limits
    if not per_client.take(sender.client, len(labels)):
        return f"Not saved: at most {per_client.max_count} corrections per hour from one address. Thank you!"
    if not everyone.take("*", len(labels)):
        return "Not saved: the demo has received all the corrections it keeps this hour. Thank you!"
    names = []
    try:
        for (image, answer), given in zip(kept, labels, strict=True):
            names.append(store.save(image, given, answer, model, sender.key, sender.channel))
    except CorrectionError as err:
        return f"Not saved: {err}" if not names else f"Saved {len(names)} of {len(labels)} digits, then: {err}"
    said = answers[0] if len(answers) == 1 else "".join(a if a != NOT_A_DIGIT_LABEL else "?" for a in answers)
    given = labels[0] if len(labels) == 1 else "".join(labels)
    saved = f"Thanks — saved: {given} (the model said {said})."
    return f"{saved} [{','.join(names)}]" if file_names else saved
