"""train.calibrate (issue 30): a temperature fitted on made-up over- and under-confident scores, and
the one a training run stores in its checkpoints."""
import json

import pytest
import torch

from unetkit.models import load_model
from unetkit.train.calibration import (
    PixelSample,
    calibration_error,
    fit_temperature,
    negative_log_likelihood,
)


def _made_up(sharpness: float, classes: int = 3, pixels: int = 100_000) -> PixelSample:
    """Labels drawn from softmax(z); the 'model' says softmax(sharpness * z): over-confident for > 1."""
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(pixels, classes, generator=generator) * 2
    labels = torch.multinomial(torch.softmax(logits, 1), 1, generator=generator)[:, 0]
    return PixelSample(torch.log_softmax(sharpness * logits, 1), labels)


@pytest.mark.parametrize("sharpness", [3.0, 0.5])
def test_the_fitted_temperature_undoes_the_miscalibration(sharpness):
    pixels = _made_up(sharpness)
    temperature = fit_temperature(pixels)
    assert temperature == pytest.approx(sharpness, rel=0.05)
    assert negative_log_likelihood(pixels, temperature) < negative_log_likelihood(pixels, 1.0) - 0.01
    assert calibration_error(pixels, temperature) < 0.01 < calibration_error(pixels, 1.0)


def test_a_calibrated_model_keeps_a_temperature_near_one():
    assert fit_temperature(_made_up(1.0)) == pytest.approx(1.0, rel=0.05)


def test_training_stores_the_temperature_and_its_figures(trained_run):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    figures = metrics["calibration"]
    assert figures["pixels"] > 0 and figures["nll_after"] <= figures["nll_before"] + 1e-9
    for name in ("best.pt", "last.pt"):
        _, meta = load_model(trained_run / name)
        assert meta.run_config["infer"]["temperature"] == pytest.approx(figures["temperature"])
    assert "ece" in metrics
