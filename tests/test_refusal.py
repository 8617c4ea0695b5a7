"""Calibration and "not a digit": the temperature and threshold travel with the model, are fitted right, and the
bundled model refuses drawings that are not digits while answering digits."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from mnist_hub import ConvolutionalNetwork, load_model, mnist_to_tensor
from mnist_hub.misses import Misses
from mnist_hub.numbers import predict_number
from mnist_hub.predict import NOT_A_DIGIT, predict
from serving.showcase import REFUSED, Showcase
from training.refusal import expected_calibration_error, fit_calibration, fit_temperature
from training.synthetic import LETTERS, SEVEN, STAR, draw, scribble_strokes


def test_temperature_and_threshold_travel_in_config_json_and_can_be_overridden(tmp_path):
    model = ConvolutionalNetwork(temperature=1.7, digit_threshold=0.42)
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert (config["temperature"], config["digit_threshold"]) == (1.7, 0.42)
    loaded = ConvolutionalNetwork.from_pretrained(tmp_path)
    assert (loaded.temperature, loaded.digit_threshold) == (1.7, 0.42)
    assert ConvolutionalNetwork.from_pretrained(tmp_path, digit_threshold=0.9).digit_threshold == 0.9
    scores = torch.tensor([0.41, 0.42, 0.99])
    assert loaded.is_digit(scores).tolist() == [False, True, True]


def test_a_model_saved_without_a_threshold_never_refuses(tmp_path):
    ConvolutionalNetwork().save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    del config["temperature"], config["digit_threshold"]  # a config.json written before 0.3
    (tmp_path / "config.json").write_text(json.dumps(config))
    old = ConvolutionalNetwork.from_pretrained(tmp_path)
    assert old.temperature == 1.0 and old.digit_threshold is None
    assert old.is_digit(torch.tensor([0.1, 0.5])).all()


def test_fit_temperature_recovers_the_temperature_the_labels_were_drawn_at():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(20_000, 10, generator=generator) * 3
    labels = torch.multinomial(torch.softmax(logits / 2.5, dim=1), 1, generator=generator).flatten()
    assert fit_temperature(torch.log_softmax(logits, dim=1), labels) == pytest.approx(2.5, rel=0.05)


def test_expected_calibration_error_is_the_gap_between_confidence_and_accuracy():
    labels = torch.zeros(1000, dtype=torch.long)
    honest = torch.full((1000, 10), 0.1 / 9)
    honest[:, 0] = 0.9
    honest[:100, 0], honest[:100, 1] = 0.05, 0.9  # 90% confident and right 90% of the time
    assert expected_calibration_error(honest, labels) == pytest.approx(0.0, abs=1e-6)
    overconfident = torch.full((1000, 10), 0.001 / 9)
    overconfident[:, 0] = 0.999
    overconfident[:300, 0], overconfident[:300, 2] = 0.0, 0.999  # 99.9% sure, right 70% of the time
    assert expected_calibration_error(overconfident, labels) == pytest.approx(0.299, abs=1e-3)


def test_the_threshold_refuses_the_share_of_held_out_digits_it_was_set_for(mnist_test):
    images, labels = mnist_to_tensor(mnist_test[0][:4000]), mnist_test[1][:4000]
    model = load_model()
    temperature, threshold = fit_calibration(model, images, labels, refuse_share=0.02)
    calibrated = ConvolutionalNetwork(temperature=temperature, digit_threshold=threshold)
    calibrated.load_state_dict(model.state_dict())
    from mnist_hub.model import digit_score

    refused = (~calibrated.is_digit(digit_score(calibrated.calibrated_proba(images)))).float().mean()
    assert float(refused) == pytest.approx(0.02, abs=0.003)


def test_the_gallery_shows_the_refused_test_digits_on_their_own_filter():
    misses = Misses(
        indices=torch.tensor([3, 8]),
        images=torch.zeros(2, 28, 28, dtype=torch.uint8),
        labels=torch.tensor([7, 4]),
        predictions=torch.tensor([1, 4]),
        probabilities=torch.full((2, 10), 0.1),
        refused=torch.tensor([False, True]),
    )
    showcase = Showcase(model=ConvolutionalNetwork(), model_id="x", revision=None, misses=misses)
    assert [c for _, c in showcase.gallery()] == ["7 → 1 (10%)", "4 → refused"]
    assert [c for _, c in showcase.gallery(predicted=REFUSED)] == ["4 → refused"]
    assert [c for _, c in showcase.gallery(predicted=4)] == []


# The bundled model, trained with outlier exposure: drawings it never saw the like of in training.
NOT_DIGITS = {
    "letter K": draw(LETTERS["K"], width=14),
    "letter W": draw(LETTERS["W"], canvas=400, box=(0.1, 0.2, 0.7, 0.5), width=10),
    "star": draw(STAR, canvas=300, box=(0.1, 0.1, 0.8, 0.8), width=12),
}


@pytest.mark.parametrize("name", NOT_DIGITS)
def test_the_bundled_model_refuses_drawings_that_are_not_digits(name):
    prediction = predict(load_model(), NOT_DIGITS[name])
    assert prediction is not None and not prediction.is_digit, f"{name}: {prediction.describe()}"
    assert prediction.describe().startswith("not a digit (closest: ")
    assert NOT_A_DIGIT == "This doesn't look like a digit"


def test_the_bundled_model_refuses_most_scribbles():
    """Scribbles are the hardest kind (benchmarks/refusal.py: 86 % refused); one scribble may read as a digit, most
    must not. The bundled model refuses 15 of these 20; a model without refusal refuses none."""
    model = load_model()
    scribbles = [draw(scribble_strokes(np.random.default_rng(seed)), width=10) for seed in range(20)]
    refused = sum(not predict(model, scribble).is_digit for scribble in scribbles)
    assert refused >= 12, f"{refused} of 20 scribbles refused"


def test_the_bundled_model_still_answers_a_drawn_seven_and_a_number():
    model = load_model()
    seven = predict(model, draw(SEVEN))
    assert seven.is_digit and seven.digit == 7 and seven.score >= model.digit_threshold
    assert model.digit_threshold is not None, "the bundled model was trained to refuse"
    assert [p.is_digit for p in predict_number(model, draw(SEVEN))] == [True]
