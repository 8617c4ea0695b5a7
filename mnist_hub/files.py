"""A model folder's files (the Hub repo layout), and where to read one: a local folder or a Hub repo.

Every module names these files through the constants here, and asks ``is_local_reference`` whether a model id
is a folder or a repo id, so the two can never disagree.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx2
from huggingface_hub import constants, get_hf_file_metadata, hf_hub_download, hf_hub_url, snapshot_download
from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, HFValidationError, LocalEntryNotFoundError
from huggingface_hub.utils import validate_repo_id

CONFIG_NAME = "config.json"  # the network's sizes: ConvolutionalNetwork's __init__ arguments
WEIGHTS_NAME = "model.safetensors"
CARD_NAME = "README.md"  # the model card
METRICS_NAME = "metrics.json"  # what training and evaluation measured, and how the weights were made
MISSES_NAME = "misses.safetensors"  # every misclassified test digit (mnist_hub.misses)
CURVES_PNG = "training_curves.png"
CONFUSION_PNG = "confusion_matrix.png"
MISSES_PNG = "misses.png"  # a grid of the first misses, for the card
RELIABILITY_PNG = "reliability.png"  # calibration: confidence vs accuracy, before and after the temperature
COVERAGE_PNG = "coverage.png"  # accuracy on the digits answered as the "not a digit" threshold rises
SNAPSHOTS_NAME = "snapshots.safetensors"  # the weights after a few epochs of training (mnist_hub.snapshots)
ONNX_NAME = "onnx/model.onnx"  # the network as ONNX, input to logits (mnist_hub.export), where Hub repos keep it

MODEL_FOLDER_FILES = (
    CONFIG_NAME,
    WEIGHTS_NAME,
    SNAPSHOTS_NAME,
    CARD_NAME,
    METRICS_NAME,
    MISSES_NAME,
    CURVES_PNG,
    CONFUSION_PNG,
    MISSES_PNG,
    RELIABILITY_PNG,
    COVERAGE_PNG,
    ONNX_NAME,
)
"""What ``training.train`` writes and ``training.push`` uploads."""


def is_local_reference(model_id: str | os.PathLike) -> bool:
    """Whether ``model_id`` names a folder rather than a Hub repo id.

    Anything that exists on disk, starts as a path does (``/``, ``./``, ``~``), or is not a repo id as
    huggingface_hub tells them (``validate_repo_id``: more than one slash, characters a repo name cannot hold) is a
    folder; ``user/name`` (``_user/name`` too) that does not exist locally is a repo id.
    """
    model_id = str(model_id)
    if Path(model_id).expanduser().exists() or model_id.startswith(("~", ".", "/")):
        return True
    try:
        validate_repo_id(model_id)
    except HFValidationError:
        return True
    return False


def fetch_file(model_id: str | os.PathLike, name: str, revision: str | None = None, **hub_options: Any) -> Path:
    """The path of file ``name`` of a model folder, or of a Hub repo (downloaded into the Hub cache).

    ``hub_options`` go to ``hf_hub_download`` (cache_dir, token, ...). A folder without the file raises
    ``FileNotFoundError``; a repo without it raises huggingface_hub's errors.
    """
    if is_local_reference(model_id):
        path = Path(model_id).expanduser() / name
        if not path.is_file():
            raise FileNotFoundError(f"{model_id} has no {name}")
        return path
    # A caller that says local_files_only has asked whether the Hub answers already (from_pretrained, once per load).
    if "local_files_only" not in hub_options and not hub_reachable(str(model_id), name, revision, hub_options):
        hub_options = {**hub_options, "local_files_only": True}  # the cache answers, or LocalEntryNotFoundError
    return Path(hf_hub_download(str(model_id), name, revision=revision, **hub_options))


def fetch_folder(model_id: str, revision: str | None, names: Sequence[str], **hub_options: Any) -> Path:
    """The snapshot folder of a Hub repo with its files ``names`` (those it has) in the local Hub cache, fetched in
    one go: one request for the revision's file list, then only the files not cached yet (``snapshot_download``).
    When the Hub does not answer (``hub_reachable``), or ``local_files_only`` is given, the cache answers alone."""
    if "local_files_only" not in hub_options and not hub_reachable(model_id, CONFIG_NAME, revision, hub_options):
        hub_options = {**hub_options, "local_files_only": True}
    return Path(snapshot_download(model_id, revision=revision, allow_patterns=list(names), **hub_options))


HUB_CHECK_TIMEOUT = 5.0  # seconds for the one request that tells whether the Hub can be reached


def hub_reachable(repo_id: str, name: str, revision: str | None, hub_options: dict[str, Any]) -> bool:
    """Whether the Hub answers (anything, an error too) one request for ``name``, without retries.

    ``hf_hub_download`` retries a Hub it cannot reach with back-off (about 25 s and ten warnings on stderr) before
    it falls back to the cache; one quick request first lets an offline machine go straight to the cache.
    """
    if constants.HF_HUB_OFFLINE:
        return False
    url = hf_hub_url(repo_id, name, revision=revision, repo_type=hub_options.get("repo_type"))
    timeout = min(constants.HF_HUB_ETAG_TIMEOUT, HUB_CHECK_TIMEOUT)
    try:
        get_hf_file_metadata(url, token=hub_options.get("token"), timeout=timeout, retry_on_errors=False)
    except httpx2.TransportError:  # no connection, no name resolution, a timeout: nothing answered
        return False
    except Exception:  # the Hub answered (404, 401, ...): hf_hub_download says what it means
        return True
    return True


def model_file(model_id: str | os.PathLike, revision: str | None, name: str) -> Path | None:
    """Like ``fetch_file``, but None where the folder or repo has no such file (or the Hub cannot be reached)."""
    try:
        return fetch_file(model_id, name, revision)
    except (FileNotFoundError, EntryNotFoundError, LocalEntryNotFoundError, HfHubHTTPError):
        return None
