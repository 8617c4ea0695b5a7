"""training.augment: reproducible, label-preserving digit augmentation on tensors."""

from __future__ import annotations

import torch

from training.augment import random_affine


def digits() -> torch.Tensor:
    x = torch.zeros(4, 1, 28, 28)
    x[:, 0, 6:22, 12:16] = 1.0  # a vertical bar, centred
    return x


def test_no_change_when_every_range_is_zero():
    x = digits()
    out = random_affine(x, torch.Generator().manual_seed(0), max_degrees=0, max_scale=0, max_shift=0)
    assert torch.allclose(out, x, atol=1e-5)


def test_same_generator_state_same_result_and_images_differ():
    x = digits()
    a = random_affine(x, torch.Generator().manual_seed(3))
    b = random_affine(x, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    assert not torch.allclose(a[0], a[1]), "each image gets its own transform"


def test_shift_moves_ink_by_at_most_the_bound():
    x = digits()
    out = random_affine(x, torch.Generator().manual_seed(1), max_degrees=0, max_scale=0, max_shift=2)
    grid = torch.arange(28, dtype=torch.float32)
    for image in out:
        col = float((image[0].sum(0) * grid).sum() / image.sum())
        assert abs(col - 13.5) <= 2.01
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1 + 1e-6
