"""The model folder's layout is a contract with Hub users; local folders and repo ids are told apart one way."""

from __future__ import annotations

import pytest

from mnist_hub import DEFAULT_MODEL
from mnist_hub.files import MODEL_FOLDER_FILES, fetch_file, is_local_reference, model_file


def test_the_layout_is_the_documented_one():
    """Renaming a file breaks every revision already on the Hub: this list changes only on purpose."""
    assert set(MODEL_FOLDER_FILES) == {
        "config.json",
        "model.safetensors",
        "snapshots.safetensors",
        "README.md",
        "metrics.json",
        "training_curves.png",
        "confusion_matrix.png",
        "misses.safetensors",
        "misses.png",
        "reliability.png",
        "coverage.png",
        "onnx/model.onnx",
    }


@pytest.mark.parametrize(
    ("model_id", "local"),
    [
        ("user/mnist-cnn", False),
        ("mnist-cnn", False),
        ("./runs/x", True),
        ("/abs/path", True),
        ("~/models/x", True),
        ("a/b/c", True),
        (str(DEFAULT_MODEL), True),
    ],
)
def test_folder_or_repo_id(model_id, local):
    assert is_local_reference(model_id) is local


def test_an_existing_relative_folder_is_a_folder_even_when_it_looks_like_a_repo_id(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "user" / "mnist-cnn").mkdir(parents=True)
    assert is_local_reference("user/mnist-cnn")


def test_fetch_and_model_file_from_a_folder(tmp_path):
    assert fetch_file(DEFAULT_MODEL, "config.json") == DEFAULT_MODEL / "config.json"
    with pytest.raises(FileNotFoundError, match=r"has no nothing\.bin"):
        fetch_file(DEFAULT_MODEL, "nothing.bin")
    assert model_file(str(DEFAULT_MODEL), None, "nothing.bin") is None
    assert model_file("user/not-in-the-cache", None, "config.json") is None  # offline, not cached
