"""predict(), the Showcase behind the demo's Misses and Model tabs, and `python -m mnist_hub`."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from mnist_hub import DEFAULT_MODEL, load_model
from mnist_hub.__main__ import main as cli
from mnist_hub.misses import Misses
from mnist_hub.predict import Prediction, predict
from serving.readings import preview_html
from serving.showcase import load_showcase
from training.synthetic import FOUR, SEVEN, draw


def test_prediction_views():
    probabilities = torch.tensor([0.01, 0.02, 0.05, 0.0, 0.0, 0.0, 0.0, 0.9, 0.0, 0.02])
    image = torch.zeros(1, 1, 28, 28)
    image[0, 0, 3, 5] = 1.0
    prediction = Prediction(probabilities=probabilities, image=image)
    assert prediction.digit == 7
    assert prediction.top(3) == [(7, pytest.approx(0.9)), (2, pytest.approx(0.05)), (1, pytest.approx(0.02))]
    assert prediction.describe() == "7 (90.0%), 2 (5.0%), 1 (2.0%)"
    assert prediction.top() == prediction.top(3), "three by default, as the demo and the API show"
    assert prediction.confidences()["7"] == pytest.approx(0.9) and len(prediction.confidences()) == 10
    refused = Prediction(probabilities=probabilities, image=image, score=0.4123456789, is_digit=False)
    assert refused.describe() == "not a digit (closest: 7, 90.0%)"
    assert refused.as_dict() == {
        "digit": 7,
        "is_digit": False,
        "score": 0.412346,
        "top3": [
            {"digit": 7, "probability": 0.9},
            {"digit": 2, "probability": 0.05},
            {"digit": 1, "probability": 0.02},
        ],
    }
    html = preview_html(prediction, scale=8)  # what the page shows: the 28x28 input, 8x, square pixels
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1))
    preview = np.asarray(Image.open(io.BytesIO(png)))
    assert preview.shape == (224, 224) and preview.dtype == np.uint8
    assert preview[3 * 8 : 4 * 8, 5 * 8 : 6 * 8].min() == 255 and preview.astype(int).sum() == 255 * 64


def test_predict_blank_and_digit():
    model = load_model()
    assert predict(model, Image.new("RGB", (100, 100), "white")) is None
    prediction = predict(model, draw(FOUR))
    assert prediction.digit == 4
    assert float(prediction.probabilities.sum()) == pytest.approx(1.0, abs=1e-5)


def test_showcase_of_the_bundled_model():
    showcase = load_showcase()
    misses = Misses.load(DEFAULT_MODEL / "misses.safetensors")
    assert len(showcase.misses) == len(misses) > 0
    wrong = misses.predictions != misses.labels
    assert showcase.metrics["test"]["misses"] == int(wrong.sum()), "the misclassified ones"
    assert bool((wrong | misses.refused).all()), "and the refused ones, nothing else"
    assert int(misses.refused.sum()) == showcase.metrics["refusal"]["test_refused_count"]
    assert set(showcase.images) == {"confusion_matrix.png", "training_curves.png"}  # what the Model tab shows
    items = showcase.gallery()
    assert len(items) == len(misses)
    first = int(torch.nonzero(~misses.refused)[0])
    image, caption = items[first]
    t, p = int(misses.labels[first]), int(misses.predictions[first])
    confidence = 100 * float(misses.probabilities[first, p])
    assert caption == f"{t} → {p} ({confidence:.0f}%)"
    assert image.shape == (112, 112)


def test_gallery_filters():
    showcase = load_showcase()
    labels, predictions = showcase.misses.labels, showcase.misses.predictions
    for true in range(10):
        assert len(showcase.gallery(true=true)) == int((labels == true).sum())
    answered = ~showcase.misses.refused  # a refused digit is listed under "not a digit", not its closest digit
    first = int(torch.nonzero(answered)[0])
    t, p = int(labels[first]), int(predictions[first])
    both = showcase.gallery(true=t, predicted=p)
    assert len(both) == int(((labels == t) & (predictions == p) & answered).sum()) >= 1
    assert all(caption.startswith(f"{t} → {p} (") for _, caption in both)


def test_showcase_of_a_folder_without_side_files(tmp_path):
    folder = tmp_path / "bare"
    folder.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(DEFAULT_MODEL / name, folder / name)
    showcase = load_showcase(str(folder))
    assert showcase.misses is None and showcase.metrics is None and showcase.images == {}
    assert showcase.gallery() == []
    assert "unknown" in showcase.accuracy_text()
    assert showcase.name == "local folder bare" and showcase.card_url is None and str(tmp_path) not in showcase.name


def test_cli_prints_top3_per_file(tmp_path, capsys):
    draw(SEVEN).save(tmp_path / "seven.png")
    Image.new("RGB", (50, 50), "white").save(tmp_path / "blank.png")
    (tmp_path / "notes.png").write_text("not an image")
    code = cli([str(tmp_path / "seven.png"), str(tmp_path / "blank.png"), str(tmp_path / "notes.png")])
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert code == 1
    assert lines[0].startswith(f"{tmp_path / 'seven.png'}: 7 (") and lines[0].count("%") == 3
    assert lines[1] == f"{tmp_path / 'blank.png'}: no digit found (the image is blank, uniform or noise)"
    assert len(lines) == 2 and err == "error: notes.png is not an image file Pillow can read.\n"
    assert cli([str(tmp_path / "missing.png")]) == 1
    assert capsys.readouterr().err == "error: Cannot read missing.png: No such file or directory.\n", "said once"


def test_cli_bad_model(tmp_path, capsys):
    assert cli([str(tmp_path / "x.png"), "--model", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err == f"error: Model folder {tmp_path / 'nope'} does not exist.\n"


FIVE_WITH_A_SEPARATE_BAR = [
    [(0.25, 0.25), (0.2, 0.55), (0.7, 0.55), (0.8, 0.8), (0.2, 0.95)],
    [(0.3, 0.04), (0.9, 0.04)],
]


def number_picture(numbers: list[tuple[list, int]], canvas: int = 600) -> Image.Image:
    """Digits drawn side by side on one canvas: ``[(strokes, width), ...]``, each in its own box."""
    image = Image.new("RGB", (canvas, canvas), "white")
    step = 0.8 / len(numbers)
    for k, (strokes, width) in enumerate(numbers):
        part = draw(strokes, canvas=canvas, box=(0.1 + k * step, 0.3, 0.6 * step, 0.35), width=width)
        image = Image.fromarray(np.minimum(np.asarray(image), np.asarray(part)))
    return image


def test_predict_number_reads_digits_left_to_right_and_keeps_a_digits_strokes_together():
    from mnist_hub.numbers import number_text, predict_number

    model = load_model()
    five = draw(FIVE_WITH_A_SEPARATE_BAR, width=14)
    assert number_text(predict_number(model, five)) == "5", "the bar of a 5 is part of the 5"
    digits = predict_number(model, number_picture([(SEVEN, 14), (FOUR, 14), (FIVE_WITH_A_SEPARATE_BAR, 12)]))
    assert number_text(digits) == "745"
    assert all(p.image.shape == (1, 1, 28, 28) for p in digits)
    single = predict_number(model, draw(SEVEN))
    assert number_text(single) == "7" and torch.equal(single[0].image, predict(model, draw(SEVEN)).image)
    assert predict_number(model, Image.new("RGB", (100, 100), "white")) == []


def test_cli_reads_numbers(tmp_path, capsys):
    path = tmp_path / "74.png"
    number_picture([(SEVEN, 14), (FOUR, 14)]).save(path)
    assert cli(["--number", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: 74 (7 (") and "4 (" in out
    assert cli([str(path)]) == 0, "without --number too: the command line reads what the demo reads"
    assert re.fullmatch(rf"{re.escape(str(path))}: number 74: 7 \([\d.]+%\), 4 \([\d.]+%\)\n", capsys.readouterr().out)


def test_cli_json_answers_are_machine_readable(tmp_path, capsys):
    from training.synthetic import STAR

    number_picture([(SEVEN, 14), (FOUR, 14)]).save(tmp_path / "74.png")
    draw(STAR, canvas=300, box=(0.1, 0.1, 0.8, 0.8), width=12).save(tmp_path / "star.png")
    (tmp_path / "notes.png").write_text("not an image")
    names = ["74.png", "star.png", "notes.png"]
    assert cli(["--json", *(str(tmp_path / n) for n in names)]) == 1
    number, star, notes = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert number["number"] == "74" and [d["digit"] for d in number["digits"]] == [7, 4]
    assert all(d["is_digit"] and len(d["top3"]) == 3 and 0.5 < d["score"] <= 1 for d in number["digits"])
    assert star["number"] == "?" and star["digits"][0]["is_digit"] is False
    assert star["digits"][0]["digit"] == star["digits"][0]["top3"][0]["digit"], "the closest digit is in the answer"
    assert notes == {"file": str(tmp_path / "notes.png"), "error": "notes.png is not an image file Pillow can read."}


def test_a_prediction_reads_in_one_short_line():
    prediction = predict(load_model(), draw(SEVEN))
    text = repr(prediction)
    top3 = r"top3=\[\(7, [01]\.\d{3}\)(, \(\d, [01]\.\d{3}\)){2}\]"
    assert re.fullmatch(r"Prediction\(digit=7, score=[01]\.\d{3}, is_digit=True, " + top3 + r"\)", text), text


def test_a_speck_between_the_digits_of_a_number_is_not_a_digit():
    from PIL import ImageDraw

    from mnist_hub.numbers import number_text, predict_number

    picture = number_picture([(SEVEN, 14), (FOUR, 14)])
    ImageDraw.Draw(picture).ellipse((296, 300, 304, 308), fill="black")  # a dot of ink between the 7 and the 4
    digits = predict_number(load_model(), picture)
    assert number_text(digits) == "74" and len(digits) == 2
