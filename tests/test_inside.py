"""Look inside: every stage as the network's own forward computes it, the filters, and an attribution whose
values add up to what they explain."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from mnist_hub import load_model
from mnist_hub.inside import STAGES, look_inside, look_inside_number

ROOT = Path(__file__).resolve().parents[1]
SHAPES = {
    "input": (1, 28, 28),
    "conv1": (6, 26, 26),
    "pool1": (6, 13, 13),
    "conv2": (16, 11, 11),
    "pool2": (16, 5, 5),
    "fc1": (120,),
    "fc2": (84,),
    "fc3": (10,),
}


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def seven(model):
    return look_inside(model, ROOT / "examples" / "digit.png")


def by_hand(model, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """The notebook's stages, computed here layer by layer (the test's own reading of the network)."""
    stages = {}
    with torch.no_grad():
        stages["conv1"] = F.relu(model.conv1(x))
        stages["pool1"] = model.pool(stages["conv1"])
        stages["conv2"] = F.relu(model.conv2(stages["pool1"]))
        stages["pool2"] = model.pool(stages["conv2"])
        stages["fc1"] = F.relu(model.fc1(stages["pool2"].flatten(1)))
        stages["fc2"] = F.relu(model.fc2(stages["fc1"]))
        stages["fc3"] = model.fc3(stages["fc2"])
    return stages


def test_every_stage_is_the_networks_own_output_in_the_notebooks_shapes(model, seven):
    assert list(seven.layers) == list(STAGES) and {k: tuple(v.shape) for k, v in seven.layers.items()} == SHAPES
    for name, value in by_hand(model, seven.layers["input"][None]).items():
        assert torch.allclose(seven.layers[name], value[0], atol=1e-6), name
    assert int(seven.layers["fc3"].argmax()) == seven.prediction.digit == 7
    # The shared network is never hooked (a copy is, per call): tests/test_crowds.py reads two pictures inside at
    # once and each gets its own stages, which is what a hook left on the shared network would break.


def test_the_filters_are_the_learned_kernels(model, seven):
    assert torch.equal(seven.filters["conv1"], model.conv1.weight) and seven.filters["conv1"].shape == (6, 1, 3, 3)
    assert seven.filters["conv2"].shape == (16, 6, 3, 3)


def test_the_attribution_adds_up_to_the_answers_logit_minus_a_black_pictures(model, seven):
    target = seven.prediction.digit
    black = by_hand(model, torch.zeros(1, 1, 28, 28))["fc3"][0, target]
    explained = float(seven.layers["fc3"][target] - black)
    total = float(seven.attribution.sum())
    assert seven.attribution.shape == (28, 28)
    assert abs(total - explained) <= 0.02 * abs(explained), (total, explained)
    assert seven.attribution.max() > 0 > seven.attribution.min(), "pixels push towards the answer and against it"
    assert seven.epochs == []


def test_each_digit_of_a_number_and_nothing_for_a_blank_picture(model):
    digits = look_inside_number(model, ROOT / "examples" / "number.png")
    assert [d.prediction.digit for d in digits] == [2, 0, 2, 4]
    assert look_inside(model, Image.new("RGB", (60, 60), "white")) is None


def test_the_command_line_draws_the_view_into_a_png(tmp_path, capsys):
    from mnist_hub.__main__ import main

    out = tmp_path / "inside.png"
    assert main(["--inside", str(ROOT / "examples" / "digit.png"), "-o", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: what each layer makes of")
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width >= 1000 and image.height >= 800
    assert main(["--inside", str(tmp_path / "missing.png"), "-o", str(out)]) == 1
    assert capsys.readouterr().err.startswith("error: Cannot read missing.png")


def test_two_readers_at_once_each_see_their_own_picture(model):
    """The demo's threads share one network: hooks on it put one call's forward into another's record (issue 35:
    2-22 % of concurrent calls failed, and a call could show another person's maps). Each call hooks a copy."""
    from concurrent.futures import ThreadPoolExecutor

    from mnist_hub.inside import inside_of
    from mnist_hub.preprocessing import prepare_image

    pictures = [prepare_image(ROOT / "examples" / name) for name in ("digit.png", "photo.jpg")]
    alone = [inside_of(model, picture, steps=8) for picture in pictures]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda k: (k, inside_of(model, pictures[k % 2], steps=8)), range(60)))
    for k, inside in together:
        for name in STAGES:
            assert torch.equal(inside.layers[name], alone[k % 2].layers[name]), (k, name)
        assert torch.allclose(inside.attribution, alone[k % 2].attribution, atol=1e-5)
