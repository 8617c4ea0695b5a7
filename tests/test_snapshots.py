"""The model as it was after some epochs (mnist_hub.snapshots): read strictly, and optional for a model to load."""

from __future__ import annotations

import shutil

import pytest
import torch

from mnist_hub import DEFAULT_MODEL, load_model
from mnist_hub.inside import look_inside
from mnist_hub.snapshots import load_snapshots, model_snapshots, save_snapshots
from serving.showcase import load_showcase
from training.synthetic import SEVEN, draw


@pytest.fixture
def folder_without_snapshots(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, folder)
    (folder / "snapshots.safetensors").unlink()
    return folder


def test_a_model_without_snapshots_loads_and_says_so(folder_without_snapshots):
    showcase = load_showcase(str(folder_without_snapshots))
    assert showcase.snapshots == [] and "without snapshots" in showcase.snapshots_note
    assert look_inside(showcase.model, draw(SEVEN), steps=8).epochs == []
    assert showcase.network_after(1) == (showcase.model, ""), "the final model stands in for any epoch"


def test_unreadable_snapshots_are_said_and_the_model_still_loads(folder_without_snapshots):
    (folder_without_snapshots / "snapshots.safetensors").write_bytes(b"\x00" * 64)
    showcase = load_showcase(str(folder_without_snapshots))
    assert showcase.snapshots == [] and "cannot be read" in showcase.snapshots_note


def test_a_snapshot_that_does_not_fit_the_model_is_refused(tmp_path):
    model = load_model()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["fc3.weight"] = torch.zeros(5, 84)  # another network's last layer
    save_snapshots(tmp_path / "s.safetensors", {1: state})
    with pytest.raises(ValueError, match="epoch 1 does not fit the model"):
        load_snapshots(tmp_path / "s.safetensors", model)
    del state["fc3.bias"]
    save_snapshots(tmp_path / "s.safetensors", {1: state})
    with pytest.raises(ValueError, match="does not fit"):
        load_snapshots(tmp_path / "s.safetensors", model)


def test_the_bundled_models_snapshots_grow_to_the_final_model():
    model = load_model()
    snapshots, note = model_snapshots(DEFAULT_MODEL, None, model)
    assert len(snapshots) >= 3 and note.startswith("The model as it was after epochs 1, ")
    inside = look_inside(model, draw(SEVEN), steps=8, snapshots=snapshots)
    first, last = inside.epochs[0][1], inside.epochs[-1][1]
    assert int(last.argmax()) == inside.prediction.digit == 7
    assert abs(float(last.max()) - inside.prediction.score) < 0.02, "the last snapshot is the final model in fp16"
    assert float(first[7]) < float(last[7]), "after epoch 1 the network was less sure of the 7"
    network, named = load_showcase().network_after(1)
    assert network is not model and named.startswith("The network after epoch 1 of ")


def test_a_snapshot_missing_a_tensor_is_refused_not_mixed_with_the_final_model(tmp_path):
    model = load_model()
    state = {k: v.clone() for k, v in model.state_dict().items() if k != "fc3.bias"}  # every shape right
    save_snapshots(tmp_path / "s.safetensors", {1: state})
    with pytest.raises(ValueError, match=r"epoch 1 does not fit the model: .*Missing key.*fc3\.bias"):
        load_snapshots(tmp_path / "s.safetensors", model)


def test_each_epoch_in_look_inside_is_calibrated_like_the_model():
    from mnist_hub.inside import inside_of
    from mnist_hub.model import calibrate
    from mnist_hub.preprocessing import prepare_image

    model = load_model()
    assert model.temperature != 1.0, "the bundled model is calibrated: the two readings differ"
    snapshots, _ = model_snapshots(DEFAULT_MODEL, None, model)
    image = prepare_image(draw(SEVEN))
    inside = inside_of(model, image, steps=8, snapshots=snapshots)
    for (epoch, shown), (_, network) in zip(inside.epochs, snapshots, strict=True):
        expected = calibrate(network.predict_log_proba(image), model.temperature)[0]
        assert torch.allclose(shown, expected, atol=1e-6), epoch
