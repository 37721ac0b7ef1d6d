"""Uncertainty maps (issue 30): entropy and mutual information against hand-computed values, and the
Predictor's views (test-time flips, MC dropout, ensemble members) and temperature."""
import math

import numpy as np
import pytest
import torch

from unetkit import Predictor
from unetkit.config import AugmentConfig, InferConfig, check_infer_config
from unetkit.errors import ConfigError
from unetkit.infer.ensemble import EnsembleModel
from unetkit.infer.predictor import inference_settings, with_trained_flips
from unetkit.infer.uncertainty import ViewAccumulator, entropy
from unetkit.models import ModelMeta, Normalization, build_model

NORMALIZATION = Normalization((0.5,) * 3, (0.25,) * 3)
IMAGE = np.random.default_rng(0).integers(0, 256, (40, 56, 3), dtype=np.uint8)


def test_entropy_and_mutual_information_by_hand():
    assert entropy(torch.tensor([0.5, 0.5])).item() == pytest.approx(math.log(2))
    assert entropy(torch.tensor([1.0, 0.0])).item() == 0.0
    accumulator = ViewAccumulator(with_entropy=True)
    accumulator.add(torch.tensor([0.9, 0.1])[:, None, None])
    accumulator.add(torch.tensor([0.1, 0.9])[:, None, None])
    maps = accumulator.maps()
    one_view = -(0.9 * math.log(0.9) + 0.1 * math.log(0.1))                # 0.3251
    assert maps.entropy.item() == pytest.approx(math.log(2), rel=1e-6)      # the mean is 0.5 / 0.5
    assert maps.mutual_information.item() == pytest.approx(math.log(2) - one_view, rel=1e-5)   # 0.3681
    assert maps.normalised("entropy").item() == pytest.approx(1.0, rel=1e-6)
    agreeing = ViewAccumulator(with_entropy=True)
    for _ in range(3):
        agreeing.add(torch.tensor([0.7, 0.3])[:, None, None])
    assert agreeing.maps().mutual_information.item() == pytest.approx(0.0, abs=1e-6)


def _model(**args):
    torch.manual_seed(0)
    return build_model("unet", 3, 3, base_channels=4, depth=2, **args).eval()


def test_flips_are_views_whose_mean_is_the_tta_prediction():
    predictor = Predictor(_model(), NORMALIZATION, ["a", "b", "c"], InferConfig(tta=True), precision="fp32")
    maps = predictor.uncertainty(IMAGE)
    assert maps.views == 4 and maps.entropy.shape == maps.mutual_information.shape == (40, 56)
    torch.testing.assert_close(maps.probabilities, predictor.probabilities(IMAGE))
    assert (maps.entropy >= maps.mutual_information - 1e-6).all() and maps.mutual_information.max() > 0
    single = Predictor(_model(), NORMALIZATION, ["a", "b", "c"], InferConfig(), precision="fp32").predict(
        IMAGE, uncertainty=True)
    assert single.uncertainty.views == 1 and single.uncertainty.mutual_information is None
    assert single.uncertainty.summary()["mean_entropy"] == pytest.approx(float(single.uncertainty.entropy.mean()))


def test_mc_dropout_passes_disagree_and_a_model_without_dropout_is_refused():
    dropped = Predictor(_model(dropout=0.3), NORMALIZATION, ["a", "b", "c"], InferConfig(mc_dropout=5),
                        precision="fp32")
    maps = dropped.uncertainty(IMAGE)
    assert maps.views == 5 and maps.mutual_information.mean() > 1e-4
    assert not dropped.model.training   # dropout switched off again after the passes
    plain = Predictor(_model(), NORMALIZATION, ["a", "b", "c"], InferConfig(mc_dropout=3), precision="fp32")
    with pytest.raises(ConfigError, match="infer.mc_dropout needs a model with dropout"):
        plain.uncertainty(IMAGE)


def test_ensemble_members_are_views():
    torch.manual_seed(1)
    other = build_model("unet", 3, 3, base_channels=4, depth=2).eval()
    ensemble = EnsembleModel([_model(), other], [NORMALIZATION, NORMALIZATION])
    predictor = Predictor(ensemble, NORMALIZATION, ["a", "b", "c"], InferConfig(), precision="fp32")
    maps = predictor.uncertainty(IMAGE)
    assert maps.views == 2 and maps.mutual_information.mean() > 0
    torch.testing.assert_close(maps.probabilities, predictor.probabilities(IMAGE), atol=1e-5, rtol=1e-4)


def test_a_temperature_above_one_softens_the_probabilities():
    sharp = Predictor(_model(), NORMALIZATION, ["a", "b", "c"], InferConfig(), precision="fp32").probabilities(IMAGE)
    soft = Predictor(_model(), NORMALIZATION, ["a", "b", "c"], InferConfig(temperature=3.0),
                     precision="fp32").probabilities(IMAGE)
    assert soft.max(0).values.mean() < sharp.max(0).values.mean()
    torch.testing.assert_close(soft.argmax(0), sharp.argmax(0))      # the same labels
    torch.testing.assert_close(soft, torch.softmax(torch.log(sharp) / 3.0, 0), atol=1e-5, rtol=1e-4)


def test_tta_flips_follow_the_training_orientation():
    """Issue 27: infer.tta_flips=trained averages the flips the model learned (the horizontal one alone
    after a run with augment.vertical_flips=false); 'all' and 'horizontal' are taken as given."""
    upright = AugmentConfig(vertical_flips=False)
    assert with_trained_flips(InferConfig(tta=True), upright).tta_flips == "horizontal"
    assert with_trained_flips(InferConfig(tta=True), {"flips": False}).tta_flips == "horizontal"
    assert with_trained_flips(InferConfig(tta=True), {"enabled": False}).tta_flips == "horizontal"
    assert with_trained_flips(InferConfig(tta=True), AugmentConfig()).tta_flips == "all"
    assert with_trained_flips(InferConfig(tta=True), None).tta_flips == "all"
    assert with_trained_flips(InferConfig(tta_flips="all"), upright).tta_flips == "all"
    stored = {"infer": {"tta": True}, "augment": {"vertical_flips": False}}
    assert inference_settings(ModelMeta(["a", "b"], NORMALIZATION, run_config=stored)).tta_flips == "horizontal"
    assert inference_settings(ModelMeta(["a", "b"], NORMALIZATION, run_config={})).tta_flips == "all"
    views = {flips: Predictor(_model(), NORMALIZATION, ["a", "b", "c"], InferConfig(tta=True, tta_flips=flips),
                              precision="fp32").uncertainty(IMAGE).views
             for flips in ("horizontal", "all", "trained")}
    assert views == {"horizontal": 2, "all": 4, "trained": 4}
    with pytest.raises(ConfigError, match="'infer.tta_flips' must be one of trained, all, horizontal"):
        check_infer_config(InferConfig(tta_flips="vertical"))
