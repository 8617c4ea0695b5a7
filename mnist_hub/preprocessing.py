"""Turn images into what the network expects: (N, 1, 28, 28) float32 in [0, 1], white ink on black."""

from __future__ import annotations

import torch


def mnist_to_tensor(images: torch.Tensor) -> torch.Tensor:
    """MNIST-style uint8 images (N, 28, 28), already centred and size-normalised, as model input."""
    if images.dtype != torch.uint8 or images.dim() != 3:
        raise ValueError(f"expected uint8 images of shape (N, H, W), got {images.dtype} {tuple(images.shape)}")
    return images.unsqueeze(1).to(torch.float32).div_(255.0)
