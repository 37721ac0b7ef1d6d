import numpy as np
import pytest

from unetkit import Predictor


@pytest.mark.precision
def test_predictor_on_any_size(checkpoint):
    predictor = Predictor.from_checkpoint(checkpoint, device="cpu")
    image = np.random.default_rng(0).integers(0, 255, (37, 53, 3), dtype=np.uint8)
    prediction = predictor.predict(image)
    assert prediction.labels.shape == (37, 53) and prediction.probabilities.shape == (2, 37, 53)
    assert np.allclose(prediction.probabilities.sum(0), 1, atol=1e-3)
    assert np.array_equal(prediction.labels, (prediction.probabilities[1] > 0.5).astype(np.uint8))
    overlay = prediction.overlay(alpha=0.7)
    assert overlay.shape == (37, 53, 3)
    changed = prediction.labels == 1
    assert np.array_equal(overlay[~changed], image[~changed])  # background untouched
    if changed.any():
        expected = np.round(0.3 * image[changed] + 0.7 * np.array([255, 0, 0])).astype(np.uint8)
        assert np.abs(overlay[changed].astype(int) - expected).max() <= 1


@pytest.mark.precision
def test_restrict_to_roi(checkpoint):
    predictor = Predictor.from_checkpoint(checkpoint)
    image = np.full((16, 16, 3), 120, np.uint8)
    roi = np.zeros((16, 16), bool)
    roi[4:12, 4:12] = True
    restricted = predictor.predict(image).restrict_to(roi)
    assert (restricted.labels[~roi] == 0).all()
    assert np.allclose(restricted.probabilities.sum(0), 1, atol=1e-3)
    assert (restricted.probabilities[0][~roi] == 1).all()


def test_settings_from_checkpoint_and_keyword_changes(checkpoint):
    from unetkit.errors import ConfigError
    predictor = Predictor.from_checkpoint(checkpoint, tile=64, tta=True)
    assert predictor.settings.tile == 64 and predictor.settings.tta and predictor.settings.overlap == 0.25
    with pytest.raises(ConfigError, match="unknown inference setting 'tiles'"):
        Predictor.from_checkpoint(checkpoint, tiles=64)
    with pytest.raises(ConfigError, match="infer.tile"):
        Predictor.from_checkpoint(checkpoint, tile=-1)


@pytest.mark.precision
def test_tiled_and_letterboxed_prediction_keep_image_size(checkpoint):
    image = np.random.default_rng(1).integers(0, 255, (150, 97, 3), dtype=np.uint8)
    whole = Predictor.from_checkpoint(checkpoint, tile=0).predict(image)
    tiled = Predictor.from_checkpoint(checkpoint, tile=64, overlap=0.5).predict(image)
    assert tiled.probabilities.shape == whole.probabilities.shape == (2, 150, 97)
    assert np.abs(tiled.probabilities - whole.probabilities).mean() < 0.05
    boxed = Predictor.from_checkpoint(checkpoint, resize="letterbox", size=64).predict(image)
    assert boxed.labels.shape == (150, 97)
    tta = Predictor.from_checkpoint(checkpoint, tta=True).predict(image)
    assert tta.labels.shape == (150, 97)


def test_valid_model_is_overlap_tiled_when_its_input_exceeds_the_tile(monkeypatch):
    """The paper's setting: 572 tiles on a 512 slice need 2x2 overlap-tiles, equal to the whole-image result."""
    import torch

    from unetkit.config import InferConfig
    from unetkit.infer import tiling
    from unetkit.models import Normalization, UNet
    torch.manual_seed(0)
    model = UNet(1, 2, base_channels=2, depth=2, padding="valid")
    calls = []
    original = tiling.overlap_tile_inference
    monkeypatch.setattr("unetkit.infer.predictor.overlap_tile_inference",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    image = np.random.default_rng(0).integers(0, 255, (60, 60, 1), dtype=np.uint8)
    classes = ["background", "foreground"]
    tiled = Predictor(model, Normalization((0.5,), (0.25,)), classes, InferConfig(tile=44), precision="fp32").predict(image)
    assert calls and model.input_size_for(60) > 44
    whole = Predictor(model, Normalization((0.5,), (0.25,)), classes, InferConfig(tile=0), precision="fp32").predict(image)
    assert np.allclose(tiled.probabilities, whole.probabilities, atol=1e-5)


def test_ensemble_averages_the_probabilities_of_its_members(tmp_path):
    """Two checkpoints (different weights and normalisations) as one model: the Predictor's
    probabilities equal the mean of the two Predictors' (issue 16, ensembles)."""
    import torch

    from unetkit.infer.ensemble import load_models
    from unetkit.models import ModelMeta, Normalization, build_model, save_checkpoint
    paths = []
    for seed, (mean, std) in enumerate((((0.5, 0.4, 0.3), (0.2, 0.25, 0.3)), ((0.1, 0.2, 0.3), (0.3, 0.3, 0.3)))):
        torch.manual_seed(seed)
        model = build_model("unet", 3, 3, base_channels=4, depth=2)
        paths.append(save_checkpoint(tmp_path / f"m{seed}.pt", model, ModelMeta(["a", "b", "c"], Normalization(mean, std))))
    image = np.random.default_rng(0).integers(0, 256, (37, 45, 3), dtype=np.uint8)
    single = [Predictor.from_checkpoint(path, device="cpu", precision="fp32").probabilities(image) for path in paths]
    model, meta, found = load_models(paths)
    ensemble = Predictor(model, meta.normalization, meta.class_names, device="cpu", precision="fp32")
    averaged = ensemble.probabilities(image)
    assert found == paths and torch.allclose(averaged, (single[0] + single[1]) / 2, atol=1e-5)


def test_an_ensemble_applies_the_mean_of_its_members_class_biases(tmp_path):
    """Each fold fitted its own infer.class_bias (train.tune_class_bias): the averaged probabilities get
    the mean offsets; a member without one counts as zeros."""
    import torch

    from unetkit.infer.ensemble import load_models
    from unetkit.infer.predictor import inference_settings
    from unetkit.models import ModelMeta, Normalization, build_model, save_checkpoint
    paths = []
    for seed, bias in enumerate(([0.0, 1.0, 2.0], [0.0, 0.5, 0.0], None)):
        torch.manual_seed(seed)
        meta = ModelMeta(["a", "b", "c"], Normalization((0.5,) * 3, (0.25,) * 3),
                         run_config={"infer": {"class_bias": bias} if bias else {}})
        paths.append(save_checkpoint(tmp_path / f"m{seed}.pt", build_model("unet", 3, 3, base_channels=4, depth=2),
                                     meta))
    _, meta, _ = load_models(paths)
    assert inference_settings(meta).class_bias == [0.0, 0.5, 0.667]
    _, meta, _ = load_models(paths[2:])
    assert inference_settings(meta).class_bias == []
