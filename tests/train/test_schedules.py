import pytest

from unetkit.config import load_config
from unetkit.train.schedules import lr_factor


def _train(*overrides):
    return load_config(None, ["data.root=/x", "train.epochs=10", *overrides]).train


def test_warmup_then_cosine_to_zero():
    config = _train("train.schedule=cosine", "train.warmup_epochs=1")
    assert lr_factor(0, config, 100, 10) == pytest.approx(0.1)
    assert lr_factor(9, config, 100, 10) == pytest.approx(1.0)
    assert lr_factor(10, config, 100, 10) == pytest.approx(1.0)
    assert lr_factor(55, config, 100, 10) == pytest.approx(0.5)
    assert lr_factor(100, config, 100, 10) == pytest.approx(0.0)


def test_step_poly_constant():
    step = _train("train.schedule=step", "train.step_epochs=3", "train.step_gamma=0.5")
    assert [lr_factor(s, step, 100, 10) for s in (0, 29, 30, 60)] == pytest.approx([1, 1, 0.5, 0.25])
    poly = _train("train.schedule=poly", "train.poly_power=2")
    assert lr_factor(50, poly, 100, 10) == pytest.approx(0.25)
    assert lr_factor(77, _train("train.schedule=constant"), 100, 10) == 1.0
