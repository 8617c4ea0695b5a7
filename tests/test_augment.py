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


def test_elastic_distortion_is_smooth_bounded_reproducible_and_off_by_default():
    from training.augment import elastic_displacement

    x = digits()
    plain = random_affine(x, torch.Generator().manual_seed(5))
    assert torch.equal(plain, random_affine(x, torch.Generator().manual_seed(5), elastic_alpha=0.0))
    warped = random_affine(x, torch.Generator().manual_seed(5), elastic_alpha=34.0)
    assert torch.equal(warped, random_affine(x, torch.Generator().manual_seed(5), elastic_alpha=34.0))
    assert not torch.allclose(warped, plain, atol=1e-3), "the field moves the ink"

    field = elastic_displacement(8, 28, 28, torch.Generator().manual_seed(0), alpha=34.0) * 14  # in pixels
    assert field.shape == (8, 28, 28, 2)
    assert 0.3 < float(field.abs().mean()) < 3.0, "a displacement of about a pixel, as in Simard et al."
    neighbours = (field[:, 1:] - field[:, :-1]).abs().mean()
    assert float(neighbours) < 0.25 * float(field.abs().mean()), "smooth: neighbours move together"
