"""The network itself: architecture, outputs, and the Hub mixin round trip with strict, pickle-free loading."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from mnist_hub import ConvolutionalNetwork, ModelLoadError, load_model, mnist_to_tensor
from mnist_hub.fused import conv_relu_pool, pooled_kernel

EXPECTED_SHAPES = {
    "conv1.weight": (6, 1, 3, 3),
    "conv1.bias": (6,),
    "conv2.weight": (16, 6, 3, 3),
    "conv2.bias": (16,),
    "fc1.weight": (120, 400),
    "fc1.bias": (120,),
    "fc2.weight": (84, 120),
    "fc2.bias": (84,),
    "fc3.weight": (10, 84),
    "fc3.bias": (10,),
}


def test_default_architecture_is_the_notebooks():
    model = ConvolutionalNetwork()
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 60_074
    assert {name: tuple(p.shape) for name, p in model.named_parameters()} == EXPECTED_SHAPES


def test_forward_returns_log_probabilities():
    torch.manual_seed(0)
    model = ConvolutionalNetwork().eval()
    out = model(torch.rand(5, 1, 28, 28))
    assert out.shape == (5, 10)
    assert torch.allclose(out.exp().sum(dim=1), torch.ones(5), atol=1e-5)
    assert (out <= 0).all()


def test_predict_proba_chunks_match_one_pass_and_keep_mode():
    torch.manual_seed(0)
    model = ConvolutionalNetwork().train()
    x = torch.rand(37, 1, 28, 28)
    probs = model.predict_proba(x, batch_size=8)
    assert model.training, "predict_proba must restore training mode"
    assert not probs.requires_grad
    assert torch.allclose(probs, model.eval()(x).exp(), atol=1e-6)
    assert model.predict_proba(x[:0]).shape == (0, 10)


@pytest.mark.parametrize(
    "sizes",
    [{}, {"kernel_size": 5}, {"image_size": 32, "conv1_channels": 4}, {"in_channels": 3, "conv2_channels": 8}],
)
def test_the_fast_inference_path_computes_what_forward_does(sizes):
    """predict_log_proba runs each conv -> ReLU -> pool as one stride-2 convolution and a maximum; a few images
    go through the plain layers as functions of their weights, bit for bit what the modules compute."""
    torch.manual_seed(2)
    model = ConvolutionalNetwork(**sizes).eval()
    x = torch.rand(20, model.conv1.in_channels, model.image_size, model.image_size)  # >= FUSED_FROM
    with torch.no_grad():
        assert torch.allclose(model.predict_log_proba(x), model(x), atol=1e-5)
        for few in (x[:1], x[:3]):
            assert torch.equal(model.predict_log_proba(few), model(few))
        plain = F.max_pool2d(F.relu(model.conv1(x)), 2)
        for layout in (torch.contiguous_format, torch.channels_last):  # the fast path's, and a caller's
            fast = conv_relu_pool(x.contiguous(memory_format=layout), *pooled_kernel(model.conv1))
            assert torch.allclose(fast, plain, atol=1e-6), layout


def test_the_fast_path_gives_the_bundled_model_the_same_answers_on_all_test_digits(mnist_test):
    images, _ = mnist_test
    model = load_model()
    x = mnist_to_tensor(images)
    fast = model.predict_log_proba(x)
    with torch.no_grad():
        plain = torch.cat([model(chunk) for chunk in x.split(1000)])
    assert torch.equal(fast.argmax(1), plain.argmax(1))
    assert float((fast - plain).abs().max()) <= 1e-5


def test_save_and_load_round_trip(tmp_path):
    torch.manual_seed(1)
    model = ConvolutionalNetwork().eval()
    model.save_pretrained(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"config.json", "model.safetensors", "README.md"}
    loaded = ConvolutionalNetwork.from_pretrained(tmp_path)
    assert not loaded.training
    x = torch.rand(4, 1, 28, 28)
    assert torch.equal(model(x), loaded(x))


def test_architecture_sizes_live_in_config(tmp_path):
    model = ConvolutionalNetwork(conv1_channels=4, fc1_features=32)
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["conv1_channels"] == 4 and config["fc1_features"] == 32 and config["num_classes"] == 10
    loaded = ConvolutionalNetwork.from_pretrained(tmp_path)
    assert loaded.conv1.out_channels == 4 and loaded.fc1.out_features == 32


def test_missing_tensor_is_an_error_not_a_random_layer(tmp_path):
    ConvolutionalNetwork().save_pretrained(tmp_path)
    tensors = load_file(tmp_path / "model.safetensors")
    del tensors["fc3.bias"]
    save_file(tensors, tmp_path / "model.safetensors")
    with pytest.raises(ModelLoadError, match=r"do not match its config\.json: .*fc3\.bias"):
        ConvolutionalNetwork.from_pretrained(tmp_path)


def test_misshaped_tensor_is_an_error(tmp_path):
    ConvolutionalNetwork().save_pretrained(tmp_path)
    tensors = load_file(tmp_path / "model.safetensors")
    tensors["fc1.weight"] = torch.zeros(120, 300)
    save_file(tensors, tmp_path / "model.safetensors")
    with pytest.raises(ModelLoadError, match=r"do not match its config\.json: .*fc1\.weight"):
        ConvolutionalNetwork.from_pretrained(tmp_path)


def test_pickled_weights_are_never_read(tmp_path):
    model = ConvolutionalNetwork()
    model.save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    torch.save(model.state_dict(), tmp_path / "pytorch_model.bin")
    with pytest.raises(ModelLoadError, match=r"has no model\.safetensors \(a pickled pytorch_model\.bin is never"):
        ConvolutionalNetwork.from_pretrained(tmp_path)


@pytest.mark.parametrize(
    "scalar", [np.float32, np.float64, lambda v: torch.tensor(v), lambda v: torch.tensor(v, dtype=torch.float16)]
)
def test_numpy_and_torch_scalars_survive_saving_as_numbers(tmp_path, scalar):
    """The mixin drops what JSON cannot encode: a fitted temperature as a numpy or torch scalar must not be lost."""
    model = ConvolutionalNetwork(temperature=scalar(0.5), digit_threshold=scalar(0.25))
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["temperature"] == 0.5 and config["digit_threshold"] == 0.25
    loaded = ConvolutionalNetwork.from_pretrained(tmp_path)
    assert (loaded.temperature, loaded.digit_threshold) == (0.5, 0.25)
    assert type(loaded.temperature) is float and type(model.digit_threshold) is float


def test_the_generated_card_links_the_documentation(tmp_path):
    ConvolutionalNetwork().save_pretrained(tmp_path)
    card = (tmp_path / "README.md").read_text()
    from mnist_hub.project import SOURCE_URL

    assert SOURCE_URL and f"Documentation: {SOURCE_URL}#readme" in card


class Wider(ConvolutionalNetwork):
    """A subclass with a setting of its own, as the mixin's users write them."""

    def __init__(self, dropout: float = 0.0, **sizes) -> None:
        super().__init__(**sizes)
        self.dropout = float(dropout)


def test_a_subclass_saves_and_loads_its_own_settings_and_scalars_as_numbers(tmp_path):
    model = Wider(dropout=np.float32(0.25), fc1_features=64, temperature=np.float64(0.5))
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["dropout"] == 0.25 and config["temperature"] == 0.5 and config["fc1_features"] == 64
    loaded = Wider.from_pretrained(tmp_path)
    assert type(loaded) is Wider and loaded.dropout == 0.25 and loaded.fc1.out_features == 64
    assert loaded.temperature == 0.5
    with pytest.raises(ModelLoadError, match=r"invalid: unknown setting 'dropout'"):
        ConvolutionalNetwork.from_pretrained(tmp_path)  # the base class has no such setting: refused, not dropped


def test_a_folder_without_config_json_is_refused_like_a_repo_without_one(tmp_path):
    ConvolutionalNetwork().save_pretrained(tmp_path)
    (tmp_path / "config.json").unlink()
    with pytest.raises(ModelLoadError, match=rf"^Model folder {tmp_path} has no config\.json\.$"):
        ConvolutionalNetwork.from_pretrained(tmp_path)


def test_a_repo_id_is_told_from_a_folder_as_huggingface_hub_tells_them():
    from mnist_hub.files import is_local_reference

    for repo_id in ("user/model", "_user/model", "model", "user/mnist.cnn-v2"):
        assert not is_local_reference(repo_id), repo_id
    for folder in ("./model", "/abs/model", "~/model", "a/b/c", "user/model.git", "has space/model"):
        assert is_local_reference(folder), folder
    with pytest.raises(ModelLoadError, match=r"^Model _user/model is not in the local Hub cache"):
        ConvolutionalNetwork.from_pretrained("_user/model")
