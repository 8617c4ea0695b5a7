"""What can go wrong while a model loads, each said in one line: ``ModelLoadError`` and the lines it carries.

``ConvolutionalNetwork.from_pretrained`` and ``load_model`` (which calls it) both raise through ``load_errors``, so a
failure reads the same whichever entry point a user took.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator
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

from mnist_hub.config import ConfigError, check_config
from mnist_hub.files import CONFIG_NAME, WEIGHTS_NAME


class ModelLoadError(Exception):
    """A model could not be loaded; the message is one line meant for the user."""


def check_config_file(path: Path, where: str, extra: Collection[str] = ()) -> None:
    """Raise ``ModelLoadError`` (one line) unless ``path`` holds a JSON object that ``check_config`` accepts."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelLoadError(f"{CONFIG_NAME} of {where} is not valid JSON ({err}).") from None
    if not isinstance(config, dict):
        raise ModelLoadError(f"{CONFIG_NAME} of {where} must be a JSON object, not {type(config).__name__}.")
    try:
        check_config(config, extra)
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
