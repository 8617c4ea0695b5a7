"""Evaluation numbers on a tiny hand-made set whose right answers are known, and the evaluate script."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from mnist_hub import ConvolutionalNetwork
from mnist_hub.misses import Misses
from training import evaluate as evaluate_script
from training.metrics import Evaluation, evaluate, format_accuracy


def confident(predictions: list[int]) -> torch.Tensor:
    """Log-probabilities that put 0.91 on each given class and 0.01 on the others."""
    probs = torch.full((len(predictions), 10), 0.01)
    probs[torch.arange(len(predictions)), torch.tensor(predictions)] = 0.91
    return probs.log()


# true:       0  0  1  1  1  2  7  7  9  9
# predicted:  0  6  1  1  7  2  7  1  9  4
LABELS = torch.tensor([0, 0, 1, 1, 1, 2, 7, 7, 9, 9])
PREDICTED = [0, 6, 1, 1, 7, 2, 7, 1, 9, 4]


@pytest.fixture()
def hand_made() -> Evaluation:
    return Evaluation(labels=LABELS, log_probabilities=confident(PREDICTED))


def test_counts_and_accuracy(hand_made):
    assert (hand_made.correct, hand_made.total) == (6, 10)
    assert hand_made.accuracy == pytest.approx(0.6)
    assert hand_made.loss == pytest.approx(-(0.6 * np.log(0.91) + 0.4 * np.log(0.01)), rel=1e-5)


def test_confusion_matrix(hand_made):
    expected = np.zeros((10, 10), dtype=int)
    for t, p in zip(LABELS.tolist(), PREDICTED, strict=True):
        expected[t, p] += 1
    assert expected[1, 1] == 2 and expected[7, 1] == 1  # the table above, spelled out
    assert np.array_equal(hand_made.confusion, expected)


def test_per_class_precision_and_recall(hand_made):
    per_class = hand_made.per_class()
    # digit 1: predicted 4 times (two right, one 7, one from a true 7), truly 1 three times.
    assert per_class["precision"][1] == pytest.approx(2 / 3)
    assert per_class["recall"][1] == pytest.approx(2 / 3)
    assert per_class["recall"][0] == pytest.approx(1 / 2)
    assert per_class["precision"][4] == 0 and per_class["support"][4] == 0
    assert per_class["support"][:3] == [2, 3, 1]


def test_misses(hand_made):
    images = torch.arange(10, dtype=torch.uint8).view(10, 1, 1).expand(10, 28, 28).contiguous()
    misses = hand_made.misses(images)
    assert misses.indices.tolist() == [1, 4, 7, 9]
    assert misses.labels.tolist() == [0, 1, 7, 9]
    assert misses.predictions.tolist() == [6, 7, 1, 4]
    assert misses.images[:, 0, 0].tolist() == [1, 4, 7, 9]
    assert misses.probabilities[:, 6][0] == pytest.approx(0.91)


def test_misses_file_round_trip(hand_made, tmp_path):
    images = torch.randint(0, 256, (10, 28, 28), dtype=torch.uint8)
    hand_made.misses(images).save(tmp_path / "misses.safetensors")
    loaded = Misses.load(tmp_path / "misses.safetensors")
    assert torch.equal(loaded.images, images[[1, 4, 7, 9]])
    assert loaded.labels.tolist() == [0, 1, 7, 9]


def test_report_reads_like_the_notebook(hand_made):
    report = hand_made.report()
    assert report.startswith("Test accuracy: 6/10 = 60.000%")
    assert "    |   0   1   2   3   4   5   6   7   8   9" in report
    assert "  7 |   0   1   0   0   0   0   0   1   0   0" in report
    assert report.endswith("Misses: 4")


def test_format_accuracy():
    assert format_accuracy(9848, 10000) == "9848/10000 = 98.480%"


def test_evaluate_runs_the_model(monkeypatch):
    model = ConvolutionalNetwork()
    images = torch.zeros(3, 28, 28, dtype=torch.uint8)
    seen = {}

    def fake_log_proba(x, batch_size):
        seen["x"] = x
        return confident([3, 3, 5])

    monkeypatch.setattr(model, "predict_log_proba", fake_log_proba)
    result = evaluate(model, images, torch.tensor([3, 4, 5]))
    assert seen["x"].shape == (3, 1, 28, 28) and seen["x"].dtype == torch.float32
    assert result.correct == 2


def test_evaluate_script_prints_and_writes_artifacts(tmp_path, mnist_data_dir, capsys):
    torch.manual_seed(0)
    ConvolutionalNetwork().save_pretrained(tmp_path / "model")
    assert evaluate_script.main([str(tmp_path / "model"), "--output-dir", str(tmp_path / "eval")]) == 0
    out = capsys.readouterr().out
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    correct = metrics["test"]["correct"]
    assert f"Test accuracy: {format_accuracy(correct, 10000)}" in out
    assert f"Misses: {10000 - correct}" in out
    assert {p.name for p in (tmp_path / "eval").iterdir()} == {
        "metrics.json",
        "confusion_matrix.png",
        "misses.safetensors",
        "misses.png",
        "reliability.png",
        "coverage.png",
    }
    assert "Not a digit: this model has no threshold" in out and metrics["refusal"]["non_digits"] is None


def test_evaluate_script_missing_model_is_one_clear_line(tmp_path, capsys):
    assert evaluate_script.main([str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err == f"error: Model folder {tmp_path / 'missing'} does not exist.\n"
