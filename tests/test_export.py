"""The network as ONNX (mnist_hub/export.py): the bundled ``onnx/model.onnx`` and a fresh export give PyTorch's
logits on the 10,000 MNIST test images, and the command line writes one for any model folder."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mnist_hub import load_model
from mnist_hub.__main__ import main
from mnist_hub.files import ONNX_NAME
from mnist_hub.loading import DEFAULT_MODEL

ort = pytest.importorskip("onnxruntime")


def onnx_logits(path, images: torch.Tensor) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["pixels"] and [o.name for o in session.get_outputs()] == [
        "logits"
    ]
    return session.run(None, {"pixels": images.numpy()})[0]


def test_the_bundled_onnx_gives_pytorchs_logits_on_every_test_image(mnist_test):
    images, _ = mnist_test
    x = (images.float() / 255).reshape(-1, 1, 28, 28)
    model = load_model()
    with torch.no_grad():
        expected = model.logits(x).numpy()
    got = onnx_logits(DEFAULT_MODEL / ONNX_NAME, x)
    assert got.shape == (10_000, 10)
    assert float(np.abs(got - expected).max()) <= 1e-4
    assert (got.argmax(1) == expected.argmax(1)).all()


def test_the_command_line_exports_any_model_folder_with_a_dynamic_batch(tmp_path, capsys):
    model = load_model()
    with torch.no_grad():
        model.fc3.bias += 0.5  # not the bundled weights: the export is of the model it was given
    model.save_pretrained(tmp_path / "model")
    assert main(["--model", str(tmp_path / "model"), "--export-onnx", str(tmp_path / "out")]) == 0
    assert "wrote" in capsys.readouterr().out
    for batch in (1, 7):
        x = torch.rand(batch, 1, 28, 28)
        with torch.no_grad():
            expected = model.logits(x).numpy()
        assert float(np.abs(onnx_logits(tmp_path / "out" / ONNX_NAME, x) - expected).max()) <= 1e-4
    assert not list((tmp_path / "out" / "onnx").glob(".model-*")), "nothing half-written left behind"


def test_an_export_that_cannot_be_written_says_so_in_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["--export-onnx", str(blocker)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write") and err.count("\n") == 1
