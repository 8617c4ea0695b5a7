"""Card helpers on inputs whose right output is known."""

from __future__ import annotations

import json

from huggingface_hub import ModelCard

from mnist_hub import ConvolutionalNetwork
from training.card import architecture_rows, augmentation_text, confusion_table, render_model_card, top_confusions


def test_confusion_table_markdown():
    table = confusion_table([[5, 1], [0, 7]])
    assert table.splitlines() == [
        "| true \\ predicted | 0 | 1 |",
        "| --- | ---: | ---: |",
        "| **0** | **5** | 1 |",
        "| **1** | 0 | **7** |",
    ]


def test_top_confusions_sorted_by_count():
    matrix = [[9, 2, 0], [5, 9, 1], [0, 2, 9]]
    assert top_confusions(matrix, count=3) == [(1, 0, 5), (0, 1, 2), (2, 1, 2)]


def test_architecture_rows_follow_the_config():
    rows = architecture_rows(ConvolutionalNetwork())
    assert [r["shape"] for r in rows] == [
        "6 x 26 x 26",
        "6 x 13 x 13",
        "16 x 11 x 11",
        "16 x 5 x 5",
        "400",
        "120",
        "84",
        "10",
    ]
    assert sum(r["parameters"] for r in rows) == 60_074
    wide = architecture_rows(ConvolutionalNetwork(fc1_features=64))
    assert wide[5]["layer"] == "`fc1` Linear 400→64"


def test_card_of_an_evaluated_folder_without_training_record(tmp_path):
    """A folder evaluated but not trained by us still gets a complete, parseable card."""
    ConvolutionalNetwork().save_pretrained(tmp_path)
    matrix = [[0] * 10 for _ in range(10)]
    for d in range(10):
        matrix[d][d] = 9
    matrix[4][9] = 10
    per_class = {"precision": [1.0] * 10, "recall": [0.9] * 10, "support": [10] * 10}
    metrics = {
        "weights_sha256": "0" * 64,
        "parameters": 60_074,
        "history": [],
        "training": None,
        "test": {
            "accuracy": 0.9,
            "correct": 90,
            "total": 100,
            "loss": 0.25,
            "misses": 10,
            "confusion_matrix": matrix,
            "per_class": per_class,
        },
    }
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    card = render_model_card(tmp_path, repo_id="someone/mnist-cnn", revision="v2")
    card.save(tmp_path / "README.md")
    parsed = ModelCard.load(tmp_path / "README.md")
    assert parsed.data.eval_results[0].metric_value == 0.9
    assert "90 / 100 = 90.00%" in parsed.text
    assert 'ConvolutionalNetwork.from_pretrained("someone/mnist-cnn", revision="v2")' in parsed.text
    assert "4 read as 9 (10x)" in parsed.text
    assert "did not record its recipe" in parsed.text


def test_augmentation_row_names_every_augmentation_the_recipe_used():
    """The card's augmentation row follows the recorded recipe: elastic distortion and the low-resolution share
    appear when the recipe used them, with the recorded strength and share, and not otherwise."""
    plain = augmentation_text({"augment": True, "elastic": 0.0, "lowres": 0.0})
    assert "elastic" not in plain and "low resolution" not in plain
    full = augmentation_text({"augment": True, "elastic": 10.0, "lowres": 0.2})
    assert (
        "strength 10 px" in full
        and "20 % of each batch's digits seen at low resolution (area-averaged to 9-14 px" in full
    )
    assert augmentation_text({"augment": False, "lowres": 0.2}) == "none"
