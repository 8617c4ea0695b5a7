"""The model shipped inside the package: complete, trained by the script, and its numbers are true."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
import torch
from huggingface_hub import ModelCard

from mnist_hub import DEFAULT_MODEL, load_model
from mnist_hub.files import MODEL_FOLDER_FILES
from mnist_hub.misses import Misses
from training.artifacts import sha256_of
from training.card import confusion_table, render_model_card
from training.metrics import evaluate

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def metrics() -> dict:
    return json.loads((DEFAULT_MODEL / "metrics.json").read_text())


@pytest.fixture(scope="module")
def fresh(mnist_test):
    return evaluate(load_model(DEFAULT_MODEL), *mnist_test)


def test_folder_is_complete():
    files = {p.relative_to(DEFAULT_MODEL).as_posix() for p in DEFAULT_MODEL.rglob("*") if p.is_file()}
    assert files == set(MODEL_FOLDER_FILES)


def test_metrics_name_these_exact_weights(metrics):
    assert metrics["weights_sha256"] == sha256_of(DEFAULT_MODEL / "model.safetensors")
    assert metrics["parameters"] == 60_074


def test_trained_by_the_script_with_a_named_recipe(metrics):
    from dataclasses import asdict

    from training.recipe import RECIPES, Recipe

    training = metrics["training"]
    assert training["recipe"] in ("default", "best")
    recipe = asdict(RECIPES[training["recipe"]])
    defaults = asdict(Recipe(epochs=0, batch_size=0, lr=0, schedule=""))
    # A field added to Recipe after the model was trained was, then, what its default does now (e.g. no EMA).
    assert {k: training.get(k, defaults[k]) for k in recipe} == recipe
    assert training["command"].startswith("python -m training.train ")
    assert "--output-dir mnist_hub/pretrained" in training["command"]
    assert training["train_images"] == 60_000 - training.get("holdout", 0), (
        "all of MNIST's training set but the held-out"
    )
    assert len(metrics["history"]) == training["epochs"]


def test_reaches_the_target(fresh):
    assert fresh.total == 10_000
    assert fresh.accuracy >= 0.985


def test_metrics_agree_with_a_fresh_evaluation(metrics, fresh):
    test = metrics["test"]
    assert (test["correct"], test["total"]) == (fresh.correct, fresh.total)
    assert test["accuracy"] == round(fresh.accuracy, 6)
    assert test["loss"] == pytest.approx(fresh.loss, abs=1e-5)
    assert test["confusion_matrix"] == fresh.confusion.tolist()
    assert test["per_class"] == fresh.per_class()


def test_misses_agree_with_a_fresh_evaluation(fresh, mnist_test):
    from training.refusal import refused_mask

    misses = Misses.load(DEFAULT_MODEL / "misses.safetensors")
    expected = fresh.misses(mnist_test[0], refused_mask(load_model(), mnist_test[0]))
    assert torch.equal(misses.refused, expected.refused)
    assert torch.equal(misses.indices, expected.indices)
    assert torch.equal(misses.images, expected.images)
    assert torch.equal(misses.predictions, expected.predictions)
    assert torch.allclose(misses.probabilities, expected.probabilities, atol=1e-5)


def test_card_eval_result_is_the_fresh_accuracy(fresh):
    card = ModelCard.load(DEFAULT_MODEL / "README.md")
    assert card.data.eval_results[0].metric_type == "accuracy"
    assert card.data.eval_results[0].metric_value == round(fresh.accuracy, 6)
    assert card.data.pipeline_tag == "image-classification"
    assert f"{fresh.correct:,} / 10,000 = {100 * fresh.accuracy:.2f}%" in card.text


def test_card_confusion_table_is_the_computed_matrix(fresh):
    text = (DEFAULT_MODEL / "README.md").read_text()
    assert confusion_table(fresh.confusion.tolist()) in text
    assert "[More Information Needed]" not in text


def test_refusal_figures_in_metrics_and_card_are_a_fresh_evaluation(metrics, mnist_test):
    from training.refusal import evaluate_refusal

    fresh = evaluate_refusal(load_model(), *mnist_test)
    recorded = metrics["refusal"]
    for key in ("temperature", "threshold", "ece_before", "ece_after", "test_refused_count", "accuracy_accepted"):
        assert recorded[key] == pytest.approx(fresh[key], abs=1e-6), key
    assert recorded["non_digits"] == fresh["non_digits"]
    assert recorded["auroc"] == pytest.approx(fresh["auroc"], abs=1e-6)
    card = (DEFAULT_MODEL / "README.md").read_text()
    assert f"| MNIST test digits refused | {fresh['test_refused_count']} (" in card
    assert f"{100 * fresh['non_digits_refused']:.1f}%" in card and f"{fresh['auroc']:.4f}" in card
    assert recorded["ece_after"] <= 0.01, "calibrated to within 1%"


def test_card_is_up_to_date_with_the_folder():
    assert render_model_card(DEFAULT_MODEL).content == (DEFAULT_MODEL / "README.md").read_text()


def test_card_usage_snippets_run_as_written():
    """PyTorch's and ONNX Runtime's, each reading the same drawn 1."""
    text = (DEFAULT_MODEL / "README.md").read_text()
    snippets = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(snippets) == 2 and "onnxruntime" in snippets[1]
    for snippet in snippets:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(snippet, "card-snippet", "exec"), {})
        assert out.getvalue() == "digit: 1\n", snippet


def test_project_readme_quotes_the_bundled_accuracy(metrics):
    readme = (ROOT / "README.md").read_text()
    test = metrics["test"]
    assert f"{test['correct']:,} / {test['total']:,} = {100 * test['accuracy']:.2f}%" in readme
