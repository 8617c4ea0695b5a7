"""MNIST as in-memory uint8 tensors, read through torchvision (downloaded only when missing)."""

from __future__ import annotations

import os
from pathlib import Path

import torch

DATA_ENV = "MNIST_DATA_DIR"
DEFAULT_DATA_DIR = "data"


class DataError(Exception):
    """MNIST could not be found or downloaded; the message is one line meant for the user."""


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """``data_dir`` if given, else ``$MNIST_DATA_DIR``, else ``./data``."""
    return Path(data_dir or os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR).expanduser()


def load_mnist(data_dir: str | os.PathLike | None = None, *, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Images uint8 (N, 28, 28) and labels int64 (N,) of the train or test split.

    torchvision reads ``<data_dir>/MNIST/raw`` and downloads the files first only when they are missing.
    """
    from torchvision.datasets import MNIST

    root = resolve_data_dir(data_dir)
    raw = root / "MNIST" / "raw"
    existed = [folder for folder in (root, root / "MNIST", raw) if folder.exists()]
    try:
        dataset = MNIST(root=str(root), train=train, download=True)
    except (OSError, RuntimeError) as err:
        for folder in (raw, root / "MNIST", root):  # leave no empty folders behind a failed download
            if folder not in existed and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        reason = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        raise DataError(
            f"MNIST is not in {root}/MNIST/raw and could not be downloaded ({reason}). "
            f"Point --data-dir or ${DATA_ENV} at a folder that has it."
        ) from None
    return dataset.data, dataset.targets
