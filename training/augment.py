"""Data augmentation that suits digits, batched on tensors: small random rotations, scalings and shifts, and
elastic distortions (Simard et al. 2003), all in one ``grid_sample`` call per batch; no flips."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

ELASTIC_SIGMA = 4.0  # px: how smooth the random displacement field is (Simard et al.'s value for MNIST)


def random_affine(
    images: torch.Tensor,
    generator: torch.Generator,
    max_degrees: float = 10.0,
    max_scale: float = 0.1,
    max_shift: float = 2.0,
    elastic_alpha: float = 0.0,
) -> torch.Tensor:
    """Each image (N, 1, H, W) rotated by up to ±``max_degrees``, scaled by 1 ± ``max_scale``, shifted by up to
    ±``max_shift`` pixels and, when ``elastic_alpha`` > 0, elastically distorted by a smooth random displacement
    field of that strength (pixels before smoothing), in one ``grid_sample`` call. The random draws come from
    ``generator`` (reproducible); with ``elastic_alpha`` 0 no draw is made for it."""
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
    if elastic_alpha:
        grid = grid + elastic_displacement(n, height, width, generator, elastic_alpha).to(grid)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def elastic_displacement(
    n: int, height: int, width: int, generator: torch.Generator, alpha: float, sigma: float = ELASTIC_SIGMA
) -> torch.Tensor:
    """A smooth random displacement field (N, H, W, 2) in ``affine_grid``'s [-1, 1] units: uniform noise in
    [-1, 1] per pixel and axis, smoothed by a Gaussian of ``sigma`` pixels and scaled by ``alpha`` pixels.

    The smoothing is a convolution with zero padding, done as two small matrix products (a banded Gaussian
    matrix on each side), which is many times faster on CPU than ``conv2d`` with one channel."""
    noise = torch.rand(n, 2, height, width, generator=generator) * 2 - 1
    smooth = gaussian_matrix(height, sigma) @ noise @ gaussian_matrix(width, sigma).T
    pixels = alpha * smooth.permute(0, 2, 3, 1)
    return pixels * torch.tensor([2 / width, 2 / height])


def gaussian_matrix(size: int, sigma: float) -> torch.Tensor:
    """(size, size): row i holds the normalised Gaussian taps centred on i, cut at 3 sigma (convolution as a
    matrix product, zero padding)."""
    offsets = torch.arange(size, dtype=torch.float32)
    distance = offsets[:, None] - offsets[None, :]
    radius = math.ceil(3 * sigma)
    taps = torch.arange(-radius, radius + 1, dtype=torch.float32)
    total = torch.exp(-(taps**2) / (2 * sigma**2)).sum()
    weights = torch.exp(-(distance**2) / (2 * sigma**2)) / total
    return torch.where(distance.abs() <= radius, weights, torch.zeros(()))


def random_low_resolution(
    images: torch.Tensor, generator: torch.Generator, share: float, sizes: tuple[int, int] = (9, 14)
) -> torch.Tensor:
    """``share`` of the images (N, 1, 28, 28), chosen at random, seen through a coarse sensor: area-averaged down
    to a random side in ``sizes`` (inclusive) and bilinearly back up, then brought back to full brightness.

    Digits scanned or drawn at low resolution (scikit-learn's 8x8 ``load_digits``, thumbnails) are blurry and
    thick after ``prepare_image``; a network that has seen such digits calls them digits."""
    n, _, height, width = images.shape
    chosen = torch.nonzero(torch.rand(n, generator=generator) < share).flatten()
    if len(chosen) == 0:
        return images
    side = int(torch.randint(sizes[0], sizes[1] + 1, (1,), generator=generator))
    coarse = F.interpolate(images[chosen], size=(side, side), mode="area")
    blurry = F.interpolate(coarse, size=(height, width), mode="bilinear", align_corners=False)
    blurry = blurry / blurry.amax(dim=(1, 2, 3), keepdim=True).clamp(min=1e-6)
    images = images.clone()
    images[chosen.to(images.device)] = blurry.to(images.dtype)
    return images
