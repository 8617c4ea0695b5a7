"""Find and load a trained model: a local folder, a Hub repo id, or the model bundled with the package."""

from __future__ import annotations

import json
import os
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

from mnist_hub.files import CONFIG_NAME, WEIGHTS_NAME, fetch_file, is_local_reference
from mnist_hub.model import ConvolutionalNetwork, check_config

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


class InvalidConfigError(Exception):
    """A config.json that is not an object of known settings with sane values."""


def check_config_file(path: Path, where: str) -> None:
    """Raise ``InvalidConfigError`` (one line) unless ``path`` holds a JSON object that ``check_config`` accepts."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InvalidConfigError(f"{CONFIG_NAME} of {where} is not valid JSON ({err}).") from None
    if not isinstance(config, dict):
        raise InvalidConfigError(f"{CONFIG_NAME} of {where} must be a JSON object, not {type(config).__name__}.")
    try:
        check_config(**config)
    except ValueError as err:
        raise InvalidConfigError(f"{CONFIG_NAME} of {where} is invalid: {err}.") from None


def load_model(
    model_id: str | os.PathLike | None = None,
    revision: str | None = None,
    map_location: str = "cpu",
) -> ConvolutionalNetwork:
    """Load a ``ConvolutionalNetwork`` in eval mode, or raise ``ModelLoadError`` with a clear message.

    ``model_id`` is a local folder or a Hub repo id; when omitted, ``$MNIST_HUB_MODEL`` (and
    ``$MNIST_HUB_REVISION``) are used, else the bundled ``DEFAULT_MODEL``.
    """
    model_id, revision = resolve_model_id(model_id, revision)
    local = is_local_reference(model_id)
    if local:
        folder = Path(model_id).expanduser()
        if not folder.is_dir():
            raise ModelLoadError(f"Model folder {model_id} does not exist.")
        for name in (CONFIG_NAME, WEIGHTS_NAME):
            if not (folder / name).is_file():
                hint = " (pickled pytorch_model.bin is not loaded)" if name == WEIGHTS_NAME else ""
                raise ModelLoadError(f"Model folder {folder} has no {name}{hint}.")
        source = str(folder)
    else:
        source = model_id
    where = f"{model_id}" + (f" at revision {revision}" if revision else "")
    not_local = "" if local else f" (there is no local folder {model_id} either)"
    missing = CONFIG_NAME
    try:
        # A repo's config.json is required too (the mixin would fall back to default sizes), and read as untrusted
        # input before anything is built from it.
        check_config_file(fetch_file(model_id, CONFIG_NAME, revision), where)
        missing = WEIGHTS_NAME
        model = ConvolutionalNetwork.from_pretrained(source, revision=revision, map_location=map_location)
    except RepositoryNotFoundError:
        raise ModelLoadError(f"Hub repo {model_id} was not found (or you have no access to it){not_local}.") from None
    except RevisionNotFoundError:
        raise ModelLoadError(f"Hub repo {model_id} has no revision {revision}.") from None
    except LocalEntryNotFoundError:
        reason = "is not in the local Hub cache and the Hub cannot be reached"
        raise ModelLoadError(f"Model {where} {reason}{not_local}.") from None
    except EntryNotFoundError:
        hint = " (a pickled pytorch_model.bin is never loaded)" if missing == WEIGHTS_NAME else ""
        raise ModelLoadError(f"Hub repo {where} has no {missing}{hint}.") from None
    except HFValidationError:
        raise ModelLoadError(f"{model_id!r} is neither a model folder nor a valid Hub repo id.") from None
    except HfHubHTTPError as err:
        reason, token = str(err).splitlines()[0], get_token()
        if token:  # the token of a private repo is never shown
            reason = reason.replace(token, "***")
        raise ModelLoadError(f"Could not download {where}: {reason}") from None
    except InvalidConfigError as err:
        raise ModelLoadError(str(err)) from None
    except SafetensorError as err:
        raise ModelLoadError(f"{WEIGHTS_NAME} of {where} is corrupt: {err}") from None
    except (RuntimeError, TypeError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelLoadError(f"Weights of {where} do not match its {CONFIG_NAME}: {first}") from None
    except OSError as err:
        raise ModelLoadError(f"Could not read {where}: {err}") from None
    return model
