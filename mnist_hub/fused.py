"""The network's inference path: ``forward``'s arithmetic as functions of its weights, fused where it pays.

``model.py`` holds the network and its one ``forward`` (what training runs, what hooks read). Answering is
``log_proba`` here: the layers as functions, without module calls (their bookkeeping costs more than these small
layers on one picture, the demo's case), and from ``FUSED_FROM`` images on each conv → ReLU → pool as one
stride-2 convolution (``conv_relu_pool``), about three times faster on 2 CPU cores. The numbers are ``forward``'s
(tests/test_model.py compares them); benchmarks/inference.py measures the speed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

if TYPE_CHECKING:
    from mnist_hub.model import ConvolutionalNetwork

FUSED_FROM = 16  # from this many images on, conv_relu_pool beats the plain convolutions (measured on 2 CPU cores)
ConvReluPool = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]  # (x, weight, bias) -> pooled


def log_proba(model: ConvolutionalNetwork, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    """``model``'s log-probabilities (N, num_classes) for images (N, 1, H, W), in chunks of ``batch_size``."""
    device = model.fc3.weight.device
    if len(x) < FUSED_FROM:  # a few images, such as the demo's one: the plain convolutions have less overhead
        convs = [(plain_conv_relu_pool, conv.weight, conv.bias) for conv in (model.conv1, model.conv2)]
        return classify(model, x.to(device), convs).cpu()
    convs = [(conv_relu_pool, *pooled_kernel(conv)) for conv in (model.conv1, model.conv2)]
    return torch.cat([classify(model, chunk.to(device), convs).cpu() for chunk in torch.split(x, batch_size)])


def classify(
    model: ConvolutionalNetwork, x: torch.Tensor, convs: list[tuple[ConvReluPool, torch.Tensor, torch.Tensor]]
) -> torch.Tensor:
    """``forward`` as functions: each (function, weight, bias) of ``convs`` does one conv → ReLU → pool."""
    for conv_relu_pool_fn, weight, bias in convs:
        x = conv_relu_pool_fn(x, weight, bias)
    x = torch.relu_(F.linear(x.flatten(1), model.fc1.weight, model.fc1.bias))
    x = torch.relu_(F.linear(x, model.fc2.weight, model.fc2.bias))
    return torch.log_softmax(F.linear(x, model.fc3.weight, model.fc3.bias), 1)


def pooled_kernel(conv: nn.Conv2d) -> tuple[torch.Tensor, torch.Tensor]:
    """``conv``'s k x k kernel placed at each of a 2x2 pool window's four offsets in a (k+1) x (k+1) kernel, and
    its bias repeated: the weights with which one stride-2 convolution computes the four convolution outputs that
    each 2x2 max-pool window compares. Channel ``p * out + o`` is output ``o`` at offset ``p``."""
    weight = torch.cat([F.pad(conv.weight, (dx, 1 - dx, dy, 1 - dy)) for dy in (0, 1) for dx in (0, 1)])
    return weight.contiguous(), conv.bias.repeat(4)


def plain_conv_relu_pool(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``forward``'s conv → ReLU → 2x2 max-pool, as functions of the convolution's weights (torch's own
    functions, without ``torch.nn.functional``'s Python wrappers: on one picture the wrappers cost a good share)."""
    return torch.max_pool2d(torch.relu_(torch.conv2d(x, weight, bias)), 2)


def conv_relu_pool(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``max_pool2d(relu(conv2d(x)), 2)`` for a stride-1 convolution, computed from its ``pooled_kernel``.

    One stride-2 convolution gives the four outputs each pool window holds, as four groups of channels; the
    maximum over the groups is the pool, and ReLU commutes with it. The full-resolution feature map, most of
    the work of the plain form on CPU, is never written. The results are the plain form's (compared in
    tests/test_model.py). Everything stays in the default (NCHW) layout: the groups are then whole blocks of
    each image's channels, and the next convolution and ``flatten`` take the result without a copy.
    """
    y = F.conv2d(x, weight, bias, stride=2)
    n, channels, height, width = y.shape
    return y.reshape(n, 4, channels // 4, height, width).amax(dim=1).relu_()
