"""Find and load a trained model: a local folder, a Hub repo id, or the model bundled with the package."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def load_errors(model_id: str, revision: str | None, local: bool) -> Iterator[None]:
    """Whatever the Hub, safetensors or torch raise while a model loads, as ``ModelLoadError`` in one line."""
    where = f"{model_id}" + (f" at revision {revision}" if revision else "")
    not_local = "" if local else f" (there is no local folder {model_id} either)"
    try:
        yield
    except ModelLoadError:
        raise
    except RepositoryNotFoundError:
        raise ModelLoadError(f"Hub repo {model_id} was not found (or you have no access to it){not_local}.") from None
    except RevisionNotFoundError:
        raise ModelLoadError(f"Hub repo {model_id} has no revision {revision}.") from None
    except LocalEntryNotFoundError:
        reason = "is not in the local Hub cache and the Hub cannot be reached"
        raise ModelLoadError(f"Model {where} {reason}{not_local}.") from None
    except (EntryNotFoundError, FileNotFoundError) as err:  # a file missing from a repo or a folder
        missing = next((name for name in (WEIGHTS_NAME, CONFIG_NAME) if name in str(err)), None)
        if missing is None:
            raise ModelLoadError(f"Could not read {where}: {err}") from None
        hint = " (a pickled pytorch_model.bin is never loaded)" if missing == WEIGHTS_NAME else ""
        raise ModelLoadError(f"{'Model folder' if local else 'Hub repo'} {where} has no {missing}{hint}.") from None
    except HFValidationError:
        raise ModelLoadError(f"{model_id!r} is neither a model folder nor a valid Hub repo id.") from None
    except HfHubHTTPError as err:
        reason, token = str(err).splitlines()[0], get_token()
        if token:  # the token of a private repo is never shown
            reason = reason.replace(token, "***")
        raise ModelLoadError(f"Could not download {where}: {reason}") from None
    except ConfigError as err:
        raise ModelLoadError(f"{CONFIG_NAME} of {where} is invalid: {err}.") from None
    except SafetensorError as err:
        raise ModelLoadError(f"{WEIGHTS_NAME} of {where} is corrupt: {err}") from None
    except (RuntimeError, TypeError, ValueError) as err:
        reason = " ".join(str(err).split())[:300] or type(err).__name__  # torch names the tensors on later lines
        raise ModelLoadError(f"Weights of {where} do not match its {CONFIG_NAME}: {reason}") from None
    except OSError as err:
        raise ModelLoadError(f"Could not read {where}: {err}") from None


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
