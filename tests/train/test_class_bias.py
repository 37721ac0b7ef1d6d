"""train.tune_class_bias (issue 27): per-class offsets fitted on made-up scores of a model that
under-predicts a small class, the one-point guard on the other classes, and what a run stores."""
import json

import numpy as np
import pytest
import torch

from unetkit.apps.evaluate import evaluate_checkpoint
from unetkit.cli import main
from unetkit.config import load_config
from unetkit.errors import ConfigError
from unetkit.infer.predictor import Predictor
from unetkit.models import load_model, update_stored_settings
from unetkit.train import train
from unetkit.train.calibration import PixelSample
from unetkit.train.class_bias import fit_class_bias, ious

from ..conftest import write_three_class_folder


def _shy_of_class_2(pixels: int = 60_000, shyness: float = 2.5, overlap: float = 0.0) -> PixelSample:
    """Labels 70 / 22 / 8 % of classes 0 / 1 / 2; scores that know the class (plus noise) but push
    class 2 down by `shyness`. With `overlap`, that share of class 0's pixels look like class 2."""
    generator = torch.Generator().manual_seed(1)
    labels = torch.multinomial(torch.tensor([0.70, 0.22, 0.08]), pixels, replacement=True, generator=generator)
    looks_like = labels.clone()
    lookalikes = (labels == 0) & (torch.rand(pixels, generator=generator) < overlap)
    looks_like[lookalikes] = 2
    logits = torch.nn.functional.one_hot(looks_like, 3).float() * 3 + torch.randn(pixels, 3, generator=generator) * 1.2
    logits[:, 2] -= shyness
    return PixelSample(torch.log_softmax(logits, 1), labels)


def test_the_fitted_bias_gives_the_shy_class_its_pixels_back():
    pixels = _shy_of_class_2()
    fit = fit_class_bias(pixels)
    assert fit.bias[0] == 0 and fit.bias[2] > 1.0                  # class 2 raised, class 0 the reference
    assert fit.miou_after > fit.miou_before + 0.05
    assert fit.iou_after[2] > fit.iou_before[2] + 0.15
    assert fit.iou_after == pytest.approx(ious(pixels, torch.tensor(fit.bias)).tolist(), abs=1e-4)


def test_no_class_pays_more_than_the_allowed_drop():
    pixels = _shy_of_class_2(overlap=0.25)   # raising class 2 far now takes pixels from class 0
    guarded = fit_class_bias(pixels, max_drop=0.01)
    for before, after in zip(guarded.iou_before, guarded.iou_after):
        assert after >= before - 0.01
    free = fit_class_bias(pixels, max_drop=1.0)
    assert free.iou_after[0] < free.iou_before[0] - 0.01      # without the guard class 0 would pay
    assert free.miou_after >= guarded.miou_after


def test_a_model_already_right_everywhere_gets_no_bias():
    labels = torch.arange(3).repeat(1000)
    pixels = PixelSample(torch.log_softmax(torch.nn.functional.one_hot(labels, 3).float() * 4, 1), labels)
    fit = fit_class_bias(pixels)
    assert fit.bias == [] and fit.miou_before == fit.miou_after == 1.0


def test_a_class_absent_from_validation_is_left_alone():
    """Class 3 never occurs in the labels but is sometimes predicted: pushing it down would drop its
    undefined IoU from the mean; it keeps bias 0 and the mean is over the classes present."""
    pixels = _shy_of_class_2()
    stray = torch.full((len(pixels.labels), 1), -2.0)
    pixels = PixelSample(torch.log_softmax(torch.cat([pixels.log_probabilities, stray], 1), 1), pixels.labels)
    fit = fit_class_bias(pixels)
    assert fit.bias[3] == 0 and fit.bias[2] > 1.0
    assert fit.miou_after == pytest.approx(np.mean([v for v in fit.iou_after[:3]]), abs=1e-4)


def test_the_predictor_adds_the_bias_to_the_log_probabilities(checkpoint):
    predictor = Predictor.from_checkpoint(checkpoint)
    probabilities = torch.softmax(torch.randn(3, 8, 8), 0)
    predictor.class_names = ["a", "b", "c"]
    predictor.settings.class_bias = [0.0, 0.0, 0.7]
    expected = (probabilities.log() + torch.tensor([0.0, 0.0, 0.7]).view(3, 1, 1)).argmax(0)
    assert torch.equal(predictor.labels_from(probabilities).long(), expected)
    assert not torch.equal(expected, probabilities.argmax(0))   # the bias changed some pixels
    predictor.settings.class_bias = [0.0, 0.7]
    with pytest.raises(ConfigError, match="infer.class_bias has 2 entries for 3 classes"):
        predictor.labels_from(probabilities)
    with pytest.raises(ConfigError, match="binary model's knob is infer.threshold"):
        predictor.labels_from(probabilities[:2])


def test_the_config_wants_one_bias_per_class_of_a_multiclass_task(synthetic_root):
    with pytest.raises(ConfigError, match="one per class"):
        load_config(None, [f"data.root={synthetic_root}", "data.mask=index", "data.num_classes=3",
                           "infer.class_bias=[0,1]"])
    with pytest.raises(ConfigError, match="binary tasks: infer.threshold"):
        load_config(None, [f"data.root={synthetic_root}", "infer.class_bias=[0,1]"])
    with pytest.raises(ConfigError, match=r"in \[-20, 20\]"):
        load_config(None, [f"data.root={synthetic_root}", "data.mask=index", "data.num_classes=3",
                           "infer.class_bias=[0,1,99]"])


@pytest.fixture(scope="module")
def three_class_root(tmp_path_factory):
    """Index masks: a band of class 1, a small square of class 2; images hint at both."""
    return write_three_class_folder(tmp_path_factory.mktemp("three_classes"), seed=5, square=6, top_high=24,
                                    contrast=60, noise=90)


def test_a_run_stores_the_bias_it_fitted_and_evaluate_uses_it(tmp_path, three_class_root):
    run = tmp_path / "run"
    train(load_config(None, [f"data.root={three_class_root}", "data.mask=index", "data.num_classes=3",
                             "data.patch_size=32", "data.patches_per_epoch=8", "model.base_channels=4",
                             "model.depth=2", "train.epochs=2", "train.progress=false", "train.precision=fp32",
                             "train.monitor=miou", "train.tune_class_bias=true"]), run)
    fit = json.loads((run / "metrics.json").read_text())["class_bias"]
    assert fit["pixels"] == 2 * 32 * 32 and fit["miou_after"] >= fit["miou_before"]
    for name in ("best.pt", "last.pt"):
        _, meta = load_model(run / name)
        assert meta.run_config["infer"]["class_bias"] == fit["bias"]
    scored = evaluate_checkpoint(run / "best.pt", split="val")
    assert scored["miou"] == pytest.approx(fit["miou_after"], abs=1e-3)
    # a stored bias reaches evaluate (an override replaces it) and the exported model
    update_stored_settings(run / "best.pt", "infer", {"class_bias": [0.0, 0.0, 4.0]})
    biased = evaluate_checkpoint(run / "best.pt", split="val")
    unbiased = evaluate_checkpoint(run / "best.pt", split="val", overrides=["infer.class_bias=[]"])
    assert unbiased["miou"] == pytest.approx(fit["miou_before"], abs=1e-3)
    assert biased["recall_per_class"]["class_2"] > unbiased["recall_per_class"]["class_2"]
    assert main(["export", "--checkpoint", str(run / "best.pt"), "--out", str(tmp_path / "m.onnx")]) == 0
    assert Predictor.from_onnx(tmp_path / "m.onnx").settings.class_bias == [0.0, 0.0, 4.0]
