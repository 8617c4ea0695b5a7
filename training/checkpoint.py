"""The per-epoch checkpoint that lets ``python -m training.train --resume`` continue a killed run.

It sits beside the output folder (``runs/mnist-cnn.checkpoint.pt`` for ``runs/mnist-cnn``), never inside it,
is replaced atomically after each epoch and removed once the model folder is written. It holds everything
the next epoch depends on (weights, optimizer, schedule, the shuffling generator, the history so far), so a
resumed run ends with the same weights as an uninterrupted one. Read with ``weights_only=True``: nothing
in it is unpickled as code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from training.atomic import write_file

SUFFIX = ".checkpoint.pt"


class CheckpointError(Exception):
    """The checkpoint is missing, unreadable or from another run; the message is one line for the user."""


def checkpoint_path(output_dir: str | os.PathLike) -> Path:
    output_dir = Path(output_dir)
    return output_dir.with_name(output_dir.name + SUFFIX)


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    write_file(path, lambda tmp: torch.save(state, tmp))


def load_checkpoint(path: Path, run: dict[str, Any]) -> dict[str, Any]:
    """The checkpoint at ``path``, checked to belong to ``run`` (the settings that decide the weights)."""
    if not path.is_file():
        raise CheckpointError(
            f"There is no checkpoint to resume at {path}: one is written after each epoch and removed "
            "when the run completes. Drop --resume to start over."
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        saved_run, epoch = state["run"], int(state["epoch"])
    except Exception as err:  # torch raises many types for a damaged file
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(
            f"Cannot read the checkpoint {path} ({reason}). Delete it, or drop --resume to start over."
        ) from None
    if saved_run != run:
        changed = ", ".join(
            f"{key} {saved_run.get(key)!r} -> {run.get(key)!r}"
            for key in sorted(set(saved_run) | set(run))
            if saved_run.get(key) != run.get(key)
        )
        raise CheckpointError(
            f"The checkpoint {path} is from a different run ({changed}): resume with the same settings, "
            "or drop --resume to start over."
        )
    if not 1 <= epoch <= run["epochs"]:
        raise CheckpointError(f"The checkpoint {path} names epoch {epoch} of {run['epochs']}: delete it.")
    return state
