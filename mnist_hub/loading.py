"""Find and load a trained model: a local folder, a Hub repo id, or the model bundled with the package."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import get_token
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    HFValidationError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from safetensors import SafetensorError

from mnist_hub.files import CONFIG_NAME, WEIGHTS_NAME, is_local_reference
from mnist_hub.model import ConfigError, ConvolutionalNetwork, check_config

DEFAULT_MODEL: Path = Path(__file__).resolve().parent / "pretrained"
"""The trained model folder shipped inside the package (config, weights, card, metrics, misses)."""

MODEL_ENV = "MNIST_HUB_MODEL"
REVISION_ENV = "MNIST_HUB_REVISION"


class ModelLoadError(Exception):
    """A model could not be loaded; the message is one line meant for the user."""


def resolve_model_id(model_id: str | os.PathLike | None = None, revision: str | None = None) -> tuple[str, str | None]:
    """The model and revision to load: the arguments, else the environment, else the bundled model."""
    chosen = model_id if model_id is not None else os.environ.get(MODEL_ENV) or DEFAULT_MODEL
    return str(chosen), revision if revision is not None else os.environ.get(REVISION_ENV) or None


def check_config_file(path: Path, where: str) -> None:
    """Raise ``ModelLoadError`` (one line) unless ``path`` holds a JSON object that ``check_config`` accepts."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelLoadError(f"{CONFIG_NAME} of {where} is not valid JSON ({err}).") from None
    if not isinstance(config, dict):
        raise ModelLoadError(f"{CONFIG_NAME} of {where} must be a JSON object, not {type(config).__name__}.")
    try:
        check_config(**config)
    except ConfigError as err:
        raise ModelLoadError(f"{CONFIG_NAME} of {where} is invalid: {err}.") from None


@dataclass(frozen=True)
class Place:
    """Where a model was looked for, as its load errors name it."""

    model_id: str
    revision: str | None
    local: bool

    @property
    def where(self) -> str:
        return self.model_id + (f" at revision {self.revision}" if self.revision else "")

    @property
    def not_local(self) -> str:
        return "" if self.local else f" (there is no local folder {self.model_id} either)"


def missing_file(err: Exception, at: Place) -> str:
    missing = next((name for name in (WEIGHTS_NAME, CONFIG_NAME) if name in str(err)), None)
    if missing is None:
        return f"Could not read {at.where}: {err}"
    hint = " (a pickled pytorch_model.bin is never loaded)" if missing == WEIGHTS_NAME else ""
    return f"{'Model folder' if at.local else 'Hub repo'} {at.where} has no {missing}{hint}."


def error_line(err: Exception, token: str | None) -> str:
    """An error's first line (its type's name when it says nothing), with ``token`` never shown: what a person is
    told about a failure of the Hub, whose messages may repeat the request's credentials on later lines or this."""
    reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
    return reason.replace(token, "***") if token else reason


def download_failed(err: Exception, at: Place) -> str:
    return f"Could not download {at.where}: {error_line(err, get_token())}"


def not_in_cache(err: Exception, at: Place) -> str:
    """huggingface_hub says "not in the cache" both when the Hub cannot be reached and when it answered an error
    (a 403, a 500): the latter is said as what it is."""
    if isinstance(err.__cause__, HfHubHTTPError):
        return download_failed(err.__cause__, at)
    return f"Model {at.where} is not in the local Hub cache and the Hub cannot be reached{at.not_local}."


def weights_mismatch(err: Exception, at: Place) -> str:
    reason = " ".join(str(err).split())[:300] or type(err).__name__  # torch names the tensors on later lines
    return f"Weights of {at.where} do not match its {CONFIG_NAME}: {reason}"


# What the Hub, safetensors or torch raise while a model loads, and the line said instead; the first match counts.
LOAD_ERRORS: tuple[tuple[type[Exception] | tuple[type[Exception], ...], Callable[[Exception, Place], str]], ...] = (
    (
        RepositoryNotFoundError,
        lambda err, at: f"Hub repo {at.model_id} was not found (or you have no access to it){at.not_local}.",
    ),
    (RevisionNotFoundError, lambda err, at: f"Hub repo {at.model_id} has no revision {at.revision}."),
    (LocalEntryNotFoundError, not_in_cache),
    ((EntryNotFoundError, FileNotFoundError), missing_file),  # a file missing from a repo or a folder
    (HFValidationError, lambda err, at: f"{at.model_id!r} is neither a model folder nor a valid Hub repo id."),
    (HfHubHTTPError, download_failed),
    (ConfigError, lambda err, at: f"{CONFIG_NAME} of {at.where} is invalid: {err}."),
    (SafetensorError, lambda err, at: f"{WEIGHTS_NAME} of {at.where} is corrupt: {err}"),
    ((RuntimeError, TypeError, ValueError), weights_mismatch),
    (OSError, lambda err, at: f"Could not read {at.where}: {err}"),
)


@contextmanager
def load_errors(model_id: str, revision: str | None, local: bool) -> Iterator[None]:
    """Whatever the Hub, safetensors or torch raise while a model loads (``LOAD_ERRORS``), as ``ModelLoadError``
    in one line."""
    try:
        yield
    except ModelLoadError:
        raise
    except Exception as err:
        for kinds, say in LOAD_ERRORS:
            if isinstance(err, kinds):
                raise ModelLoadError(say(err, Place(model_id, revision, local))) from None
        raise


def load_model(
    model_id: str | os.PathLike | None = None,
    revision: str | None = None,
    map_location: str = "cpu",
) -> ConvolutionalNetwork:
    """Load a ``ConvolutionalNetwork`` in eval mode, or raise ``ModelLoadError`` with a clear message.

    ``model_id`` is a local folder or a Hub repo id; when omitted, ``$MNIST_HUB_MODEL`` (and
    ``$MNIST_HUB_REVISION``) are used, else the bundled ``DEFAULT_MODEL``. A folder must hold ``config.json`` and
    ``model.safetensors``; ``ConvolutionalNetwork.from_pretrained`` does the rest (the config checked first, every
    failure one line).
    """
    model_id, revision = resolve_model_id(model_id, revision)
    if is_local_reference(model_id):
        folder = Path(model_id).expanduser()
        if not folder.is_dir():
            raise ModelLoadError(f"Model folder {model_id} does not exist.")
        for name in (CONFIG_NAME, WEIGHTS_NAME):
            if not (folder / name).is_file():
                hint = " (pickled pytorch_model.bin is not loaded)" if name == WEIGHTS_NAME else ""
                raise ModelLoadError(f"Model folder {folder} has no {name}{hint}.")
        model_id = str(folder)
    return ConvolutionalNetwork.from_pretrained(model_id, revision=revision, map_location=map_location)
