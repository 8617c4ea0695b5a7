"""One picture in, the model's answer out: the shared path of the demo, the command line and the tests."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image

from mnist_hub.model import ConvolutionalNetwork
from mnist_hub.preprocessing import prepare_image


@dataclass(frozen=True)
class Prediction:
    """The model's probabilities for one prepared image, and the 28x28 input it saw."""

    probabilities: torch.Tensor  # (10,)
    image: torch.Tensor  # (1, 1, 28, 28) in [0, 1]

    @property
    def digit(self) -> int:
        return int(self.probabilities.argmax())

    def top(self, k: int = 3) -> list[tuple[int, float]]:
        values, digits = self.probabilities.topk(k)
        return [(int(d), float(v)) for d, v in zip(digits, values, strict=True)]

    def confidences(self) -> dict[str, float]:
        """``{"0": p0, ..., "9": p9}``, the form ``gr.Label`` takes."""
        return {str(d): float(p) for d, p in enumerate(self.probabilities)}

    def preview(self, scale: int = 8) -> np.ndarray:
        """What the model sees, upscaled with square pixels: uint8 (28*scale, 28*scale)."""
        pixels = (self.image[0, 0].clamp(0, 1) * 255).round().to(torch.uint8).numpy()
        return np.kron(pixels, np.ones((scale, scale), dtype=np.uint8))

    def preview_html(self, scale: int = 8) -> str:
        """The preview as an inline PNG ``<img>``: no file on disk, nothing for concurrent requests to share."""
        buffer = io.BytesIO()
        Image.fromarray(self.preview(scale)).save(buffer, format="PNG", optimize=True)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        side = 28 * scale
        return (
            f'<img alt="The 28x28 image the model sees" width="{side}" height="{side}" '
            f'style="image-rendering: pixelated" src="data:image/png;base64,{data}">'
        )

    def describe(self, k: int = 3) -> str:
        """``7 (98.1%), 1 (1.2%), 9 (0.3%)``."""
        return ", ".join(f"{d} ({100 * p:.1f}%)" for d, p in self.top(k))


def predict(model: ConvolutionalNetwork, image: Any) -> Prediction | None:
    """Prepare ``image`` like MNIST and classify it; None when there is no digit (blank, uniform or noise).

    Raises ``ImageError`` when ``image`` cannot be read.
    """
    prepared = prepare_image(image)
    if prepared is None:
        return None
    return Prediction(probabilities=model.predict_proba(prepared)[0], image=prepared)
