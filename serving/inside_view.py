"""The demo's "Look inside" view of ``mnist_hub.inside``: every stage as small pictures and bars, in HTML.

Pictures are inline PNGs made with numpy and Pillow (no plotting library, no file on the server): the whole view
of one digit costs a few milliseconds on top of ``look_inside``.
"""

from __future__ import annotations

import html

import numpy as np
import torch

from mnist_hub.inside import STAGES, Inside, inside_of
from serving.readings import img_html
from serving.showcase import Showcase

MAP_STAGES = ("conv1", "pool1", "conv2", "pool2")
BAR_STAGES = ("fc1", "fc2")


def grey(values: torch.Tensor) -> np.ndarray:
    """A map as uint8, 0 (black) to its own maximum (white): each map shows where it responds most."""
    top = float(values.max())
    return (
        (values.clamp(min=0) / top * 255).round().to(torch.uint8).numpy()
        if top > 0
        else np.zeros(tuple(values.shape), dtype=np.uint8)
    )


def overlay(picture: torch.Tensor, attribution: torch.Tensor) -> np.ndarray:
    """The input in grey with the attribution over it: red where a pixel pushed towards the answer, blue against."""
    base = (picture * 110).numpy()[..., None].repeat(3, axis=2)
    limit = float(attribution.abs().max()) or 1.0
    strength = (attribution / limit).numpy()
    towards, against = np.clip(strength, 0, 1)[..., None], np.clip(-strength, 0, 1)[..., None]
    rgb = base + towards * np.array([255, 40, 40]) + against * np.array([40, 110, 255])
    return np.clip(rgb, 0, 255).astype(np.uint8)


def bars(values: torch.Tensor, highlight: int | None = None, labels: bool = False) -> str:
    """A row of vertical bars (CSS), one per unit; ``labels`` puts each index under its bar."""
    top = float(values.abs().max()) or 1.0
    cells = []
    for i, value in enumerate(values.tolist()):
        height = max(1, round(60 * abs(value) / top))
        colour = "#f97316" if i == highlight else ("#3b82f6" if value >= 0 else "#94a3b8")
        label = f'<span style="font-size:11px">{i}</span>' if labels else ""
        cells.append(
            f'<div title="{i}: {value:.3f}" style="display:flex;flex-direction:column;align-items:center;'
            f'justify-content:flex-end;height:76px;flex:1;min-width:2px"><div style="width:100%;height:{height}px;'
            f'background:{colour}"></div>{label}</div>'
        )
    return f'<div style="display:flex;gap:1px;align-items:flex-end;max-width:100%">{"".join(cells)}</div>'


def section(name: str, body: str, shape: tuple[int, ...]) -> str:
    shape_text = "(" + ", ".join(str(n) for n in shape) + ")"
    return (
        f'<section class="inside-stage" data-stage="{name}"><h4 style="margin:10px 0 2px">{name} {shape_text}</h4>'
        f'<p style="margin:0 0 6px;opacity:0.8">{html.escape(STAGES[name])}</p>{body}</section>'
    )


def inside_html(inside: Inside, weights: str = "", no_epochs: str = "") -> str:
    """The view of one digit: input and attribution, each stage, the filters, the answer, and how the answer grew
    through the saved epochs (``inside.epochs``; ``no_epochs`` says why there are none). ``weights`` names the
    weights the view shows when they are not the model's final ones."""
    picture = inside.layers["input"][0]
    answer = inside.prediction
    named = f'<p class="inside-weights" style="margin:0 0 6px"><b>{html.escape(weights)}</b></p>' if weights else ""
    head = named + (
        '<div style="display:flex;gap:16px;flex-wrap:wrap;align-items:flex-start">'
        f'<figure style="margin:0">{img_html(grey(picture), 5, "the 28x28 input")}'
        '<figcaption>input (1, 28, 28)</figcaption></figure><figure style="margin:0" class="inside-attribution">'
        f"{img_html(overlay(picture, inside.attribution), 5, 'which pixels decided')}"
        "<figcaption>which pixels decided: <span style='color:#e11d48'>red for</span>, "
        "<span style='color:#2563eb'>blue against</span></figcaption></figure></div>"
    )
    parts = [head]
    for name in MAP_STAGES:
        maps = inside.layers[name]
        scale = max(2, 56 // maps.shape[-1])
        images = "".join(img_html(grey(m), scale, f"{name} map {k + 1}") for k, m in enumerate(maps))
        row = f'<div style="display:flex;flex-wrap:wrap;gap:4px">{images}</div>'
        parts.append(section(name, row, tuple(maps.shape)))
    for name in BAR_STAGES:
        parts.append(section(name, bars(inside.layers[name]), tuple(inside.layers[name].shape)))
    parts.append(section("fc3", bars(inside.layers["fc3"], answer.digit, labels=True), (10,)))
    kernels = inside.filters["conv1"][:, 0]
    limit = float(kernels.abs().max()) or 1.0
    filters = "".join(
        img_html(overlay(torch.zeros(3, 3), k / limit), 14, f"conv1 filter {i + 1}") for i, k in enumerate(kernels)
    )
    parts.append(
        '<section><h4 style="margin:10px 0 2px">conv1\'s learned 3x3 filters</h4><p style="margin:0 0 6px;'
        'opacity:0.8">red weights add what lies under them, blue ones subtract it</p>'
        f'<div style="display:flex;gap:6px">{filters}</div></section>'
    )
    verdict = answer.describe()  # "7 (98.1%), ..." or "not a digit (closest: 7, 41.0%)"
    parts.append(f'<p style="margin-top:10px"><b>Answer:</b> {html.escape(verdict)}</p>')
    why = f'<p style="opacity:0.7">{html.escape(no_epochs)}</p>'
    parts.append(growth_html(inside.epochs) if inside.epochs else why)
    return '<div class="inside-view" style="max-width:100%;overflow-x:hidden">' + "".join(parts) + "</div>"


def growth_html(epochs: list[tuple[int, torch.Tensor]]) -> str:
    """How the answer grew: after each saved epoch, the answer then and its probability, as a bar."""
    cells = []
    for epoch, probabilities in epochs:
        p, digit = (float(v) for v in probabilities.max(dim=0))
        cells.append(
            f'<div class="inside-epoch" data-epoch="{epoch}" style="display:flex;flex-direction:column;'
            f'align-items:center;flex:1;min-width:34px">'
            f'<span style="font-size:12px">{int(digit)} · {100 * p:.0f}%</span>'
            f'<div style="width:70%;height:{max(1, round(50 * p))}px;background:#3b82f6"></div>'
            f'<span style="font-size:11px">epoch {epoch}</span></div>'
        )
    return (
        '<section class="inside-growth"><h4 style="margin:10px 0 2px">How the answer grew</h4><p style="margin:0 0 6px;'
        'opacity:0.8">the answer of the network as it was after each saved epoch of its training, and how sure</p>'
        f'<div style="display:flex;gap:4px;align-items:flex-end">{"".join(cells)}</div></section>'
    )


def inside_json(inside: Inside) -> dict:
    """The view's numbers for an API client: each stage's shape, the dense layers' values, the attribution."""
    return {
        **inside.prediction.as_dict(),
        "shapes": {name: list(value.shape) for name, value in inside.layers.items()},
        "fc1": [round(v, 4) for v in inside.layers["fc1"].tolist()],
        "fc2": [round(v, 4) for v in inside.layers["fc2"].tolist()],
        "fc3": [round(v, 4) for v in inside.layers["fc3"].tolist()],
        "attribution": [[round(v, 5) for v in row] for row in inside.attribution.tolist()],
        "epochs": [{"epoch": e, "probabilities": [round(p, 6) for p in ps.tolist()]} for e, ps in inside.epochs],
    }


INSIDE_DIGITS = 4  # at most this many digits of a number are shown inside (each ~12 ms)
INSIDE_EMPTY = "Draw a digit or upload a picture first: this tab then shows what each layer makes of it."


def look_inside_view(showcase: Showcase, kept, epoch: float | None = None) -> str:
    """The page's "Look inside" tab: each digit of the latest reading (drawing or upload), seen from inside the
    network as it was after ``epoch`` of its training (the final one by default)."""
    if not kept:
        return f"<p>{INSIDE_EMPTY}</p>"
    network, weights = showcase.network_after(None if epoch is None else int(epoch))
    views = [
        inside_html(inside_of(network, image, snapshots=showcase.snapshots), weights, showcase.snapshots_note)
        for image, _ in kept[:INSIDE_DIGITS]
    ]
    if len(views) == 1:
        return views[0]
    return "".join(f"<h3>Digit {i + 1} of {len(kept)}</h3>{view}" for i, view in enumerate(views))
