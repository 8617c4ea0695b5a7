"""Calibration and "not a digit": fit the temperature and the threshold on held-out training digits, and measure
what the refusal costs on digits and buys on non-digits.

Nothing here is fitted on the test set: ``fit_calibration`` sees only digits held out of training; the test digits
and the non-digit drawings (``training.synthetic.draw_non_digit``, generators training never uses) only measure.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score

from mnist_hub.model import ConvolutionalNetwork, calibrate, digit_score
from mnist_hub.preprocessing import mnist_to_tensor, prepare_image
from training.synthetic import NON_DIGIT_KINDS, draw_non_digit

ECE_BINS = 15
NON_DIGITS_PER_KIND = 400
NON_DIGIT_SEED = 20261130  # the held-out non-digit drawings: one fixed set, never trained or tuned on


def fit_temperature(log_probabilities: torch.Tensor, labels: torch.Tensor) -> float:
    """The temperature that minimises the negative log-likelihood of ``labels`` (Guo et al. 2017)."""
    log_probabilities = log_probabilities.detach().clone()  # out of inference mode, for autograd
    log_t = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(log_probabilities / log_t.exp(), labels)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.detach().exp())


def fit_calibration(
    model: ConvolutionalNetwork, images: torch.Tensor, labels: torch.Tensor, refuse_share: float
) -> tuple[float, float]:
    """(temperature, threshold) from held-out training digits (N, 1, 28, 28): the threshold refuses
    ``refuse_share`` of them."""
    log_probabilities = model.predict_log_proba(images)
    temperature = fit_temperature(log_probabilities, labels)
    scores = digit_score(calibrate(log_probabilities, temperature))
    return temperature, float(torch.quantile(scores, refuse_share))


def confidence_bins(probabilities: torch.Tensor, labels: torch.Tensor, bins: int = ECE_BINS) -> list[tuple]:
    """Per non-empty equal-width confidence bin: (low, high, count, mean confidence, accuracy), unrounded."""
    confidence, predicted = probabilities.max(dim=1)
    right = (predicted == labels).float()
    edges = torch.linspace(0, 1, bins + 1)
    which = torch.bucketize(confidence, edges[1:-1], right=True)
    rows = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            rows.append(
                (
                    float(edges[b]),
                    float(edges[b + 1]),
                    int(inside.sum()),
                    float(confidence[inside].mean()),
                    float(right[inside].mean()),
                )
            )
    return rows


def expected_calibration_error(probabilities: torch.Tensor, labels: torch.Tensor, bins: int = ECE_BINS) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width confidence bins by their size."""
    total = len(labels)
    return sum(n / total * abs(conf - acc) for _, _, n, conf, acc in confidence_bins(probabilities, labels, bins))


def reliability_bins(probabilities: torch.Tensor, labels: torch.Tensor, bins: int = ECE_BINS) -> list[dict]:
    """Per confidence bin: its range, how many answers fall in it, their mean confidence and accuracy."""
    return [
        {"low": round(lo, 4), "high": round(hi, 4), "count": n, "confidence": round(conf, 6), "accuracy": round(acc, 6)}
        for lo, hi, n, conf, acc in confidence_bins(probabilities, labels, bins)
    ]


def non_digit_set(per_kind: int = NON_DIGITS_PER_KIND, seed: int = NON_DIGIT_SEED) -> dict[str, torch.Tensor]:
    """The held-out non-digit drawings, prepared as the demo prepares them: {kind: (N, 1, 28, 28)}."""
    rng = np.random.default_rng(seed)
    prepared: dict[str, torch.Tensor] = {}
    for kind in NON_DIGIT_KINDS:
        # drawn as on the demo's pad, which has no paper: a drawn square is a non-digit, not an empty form's box
        inputs = [prepare_image(draw_non_digit(kind, rng), printed=False) for _ in range(per_kind)]
        prepared[kind] = torch.cat([x for x in inputs if x is not None])
    return prepared


def coverage_curve(scores: torch.Tensor, right: torch.Tensor, points: int = 101) -> list[dict]:
    """Accuracy on the answered digits as the threshold rises: (share answered, accuracy on them)."""
    order = torch.argsort(scores, descending=True)
    cumulative = torch.cumsum(right[order].float(), 0) / torch.arange(1, len(order) + 1)
    rows = []
    for coverage in np.linspace(0.5, 1.0, points):
        n = max(1, round(coverage * len(order)))
        rows.append({"coverage": round(float(coverage), 4), "accuracy": round(float(cumulative[n - 1]), 6)})
    return rows


def evaluate_refusal(
    model: ConvolutionalNetwork,
    test_images: torch.Tensor,
    test_labels: torch.Tensor,
    non_digits: dict[str, torch.Tensor] | None = None,
) -> dict:
    """The ``refusal`` section of metrics.json: calibration before and after, what the threshold refuses of the
    test digits and of the held-out non-digits, and how well the score separates them (AUROC). A model without
    a threshold gets the calibration part only (its non-digit figures are None)."""
    if non_digits is None and model.digit_threshold is not None:
        non_digits = non_digit_set()
    log_probabilities = model.predict_log_proba(mnist_to_tensor(test_images))
    labels = test_labels.to(torch.int64)
    raw, calibrated = log_probabilities.exp(), calibrate(log_probabilities, model.temperature)
    scores = digit_score(calibrated)
    accepted = model.is_digit(scores)
    right = calibrated.argmax(1) == labels
    calibration = {
        "temperature": round(model.temperature, 6),
        "threshold": model.digit_threshold,
        "ece_before": round(expected_calibration_error(raw, labels), 6),
        "ece_after": round(expected_calibration_error(calibrated, labels), 6),
        "test_refused": round(float((~accepted).float().mean()), 6),
        "test_refused_count": int((~accepted).sum()),
        "accuracy_accepted": round(float(right[accepted].float().mean()), 6) if accepted.any() else 0.0,
        "accuracy_refusals_as_errors": round(float((right & accepted).float().mean()), 6),
        "reliability_before": reliability_bins(raw, labels),
        "reliability_after": reliability_bins(calibrated, labels),
        "coverage": coverage_curve(scores, right),
    }
    if not non_digits:
        return {**calibration, "non_digits": None, "non_digits_refused": None, "auroc": None}
    kinds = {}
    outlier_scores = []
    for kind, images in non_digits.items():
        kind_scores = digit_score(model.calibrated_proba(images))
        outlier_scores.append(kind_scores)
        kinds[kind] = {"count": len(images), "refused": round(float((~model.is_digit(kind_scores)).float().mean()), 6)}
    outliers = torch.cat(outlier_scores)
    refused_outliers = float((~model.is_digit(outliers)).float().mean())
    truth = np.r_[np.ones(len(scores)), np.zeros(len(outliers))]
    return {
        **calibration,
        "non_digits": kinds,
        "non_digits_refused": round(refused_outliers, 6),
        "auroc": round(float(roc_auc_score(truth, torch.cat([scores, outliers]).numpy())), 6),
    }


def refused_mask(model: ConvolutionalNetwork, test_images: torch.Tensor) -> torch.Tensor:
    """Which test digits (uint8 (N, 28, 28)) the model refuses as "not a digit" (none without a threshold)."""
    return ~model.is_digit(digit_score(model.calibrated_proba(mnist_to_tensor(test_images))))


def refusal_report(refusal: dict) -> str:
    """The ``refusal`` section as the lines ``training.train`` and ``training.evaluate`` print."""
    lines = [
        f"Calibration: temperature {refusal['temperature']:.4f}, expected calibration error (15 bins) "
        f"{100 * refusal['ece_before']:.2f}% before, {100 * refusal['ece_after']:.2f}% after"
    ]
    if refusal["threshold"] is None:
        return "\n".join([*lines, "Not a digit: this model has no threshold, it answers a digit for everything"])
    kinds = ", ".join(f"{kind}s {100 * k['refused']:.1f}%" for kind, k in refusal["non_digits"].items())
    return "\n".join(
        [
            *lines,
            f"Not a digit (score = calibrated top probability < {refusal['threshold']:.4f}): "
            f"{refusal['test_refused_count']} MNIST test digits refused ({100 * refusal['test_refused']:.2f}%), "
            f"accuracy on the rest {100 * refusal['accuracy_accepted']:.2f}% "
            f"({100 * refusal['accuracy_refusals_as_errors']:.2f}% counting refusals as errors)",
            f"Held-out non-digit drawings refused: {100 * refusal['non_digits_refused']:.1f}% ({kinds}); "
            f"AUROC digits vs non-digits {refusal['auroc']:.4f}",
        ]
    )
