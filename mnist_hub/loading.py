"""Find and load a trained model: a local folder, a Hub repo id, or the model bundled with the package."""

from __future__ import annotations

import os
from pathlib import Path

from mnist_hub.load_errors import ModelLoadError
from mnist_hub.model import ConvolutionalNetwork
from mnist_hub.settings import MODEL_ENV, REVISION_ENV, model_setting

__all__ = ["DEFAULT_MODEL", "MODEL_ENV", "REVISION_ENV", "ModelLoadError", "load_model", "resolve_model_id"]

DEFAULT_MODEL: Path = Path(__file__).resolve().parent / "pretrained"
"""The trained model folder shipped inside the package (config, weights, card, metrics, misses)."""


def resolve_model_id(model_id: str | os.PathLike | None = None, revision: str | None = None) -> tuple[str, str | None]:
    """The model and revision to load: the arguments, else the environment, else the bundled model."""
    model, revision_set = model_setting()
    chosen = model_id if model_id is not None else model or DEFAULT_MODEL
    return str(chosen), revision if revision is not None else revision_set


def load_model(
    model_id: str | os.PathLike | None = None,
    revision: str | None = None,
    map_location: str = "cpu",
) -> ConvolutionalNetwork:
    """Load a ``ConvolutionalNetwork`` in eval mode, or raise ``ModelLoadError`` with a clear message.

    ``model_id`` is a local folder or a Hub repo id; when omitted, ``$MNIST_HUB_MODEL`` (and
    ``$MNIST_HUB_REVISION``) are used, else the bundled ``DEFAULT_MODEL``. ``ConvolutionalNetwork.from_pretrained``
    does the rest: a folder or repo must hold ``config.json`` and ``model.safetensors``, the config is checked
    first, and every failure is one line.
    """
    model_id, revision = resolve_model_id(model_id, revision)
    return ConvolutionalNetwork.from_pretrained(model_id, revision=revision, map_location=map_location)
