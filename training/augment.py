"""Data augmentation that suits digits, batched on tensors: small random rotations, scalings and shifts (no flips)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def random_affine(
    images: torch.Tensor,
    generator: torch.Generator,
    max_degrees: float = 10.0,
    max_scale: float = 0.1,
    max_shift: float = 2.0,
) -> torch.Tensor:
    """Each image (N, 1, H, W) rotated by up to ±``max_degrees``, scaled by 1 ± ``max_scale`` and shifted by up to
    ±``max_shift`` pixels, in one ``grid_sample`` call; the random draws come from ``generator`` (reproducible)."""
    n, _, height, width = images.shape

    def uniform(bound: float) -> torch.Tensor:
        return (torch.rand(n, generator=generator) * 2 - 1) * bound

    angle = uniform(math.radians(max_degrees))
    scale = 1 + uniform(max_scale)
    shift_x = uniform(2 * max_shift / width)  # affine_grid works in [-1, 1] units
    shift_y = uniform(2 * max_shift / height)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift_x], 1), torch.stack([sin, cos, shift_y], 1)], 1)
    theta = theta.to(images.device, images.dtype)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
