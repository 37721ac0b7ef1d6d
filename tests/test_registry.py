"""Adding a model is one registered class or function; adding a data format is one registered object.

Both are shown here with toys registered inside the test: the config accepts their names, training,
checkpoints, evaluation and prediction work with them, and nothing else had to change.
"""
import numpy as np
import pytest
import torch
from torch import nn

from unetkit import Predictor
from unetkit.apps.evaluate import evaluate_checkpoint
from unetkit.config import load_config
from unetkit.data import FORMATS, DataFormat, SampleFiles, find_samples
from unetkit.errors import ConfigError
from unetkit.models import MODELS, SegmentationModel, load_model
from unetkit.registry import Registry
from unetkit.train import train

from .conftest import tiny_overrides, write_png


class PixelNet(SegmentationModel):
    """A per-pixel classifier: two 1x1 convs. Takes any input size."""

    def __init__(self, in_channels: int, out_channels: int, base_channels: int = 8):
        super().__init__(in_channels, out_channels)
        self.layers = nn.Sequential(nn.Conv2d(in_channels, base_channels, 1), nn.ReLU(),
                                    nn.Conv2d(base_channels, out_channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class FlatFormat(DataFormat):
    """root/<split>/NAME.png with its mask NAME_mask.png beside it; scored with the pixel error too."""
    name = "flat"
    extra_metrics = ("pixel_error",)

    def find(self, root, split, data, need_masks):
        folder = root / split
        images = [p for p in sorted(folder.glob("*.png")) if not p.stem.endswith("_mask")]
        return [SampleFiles(p.stem, p, folder / f"{p.stem}_mask.png") for p in images]


@pytest.fixture
def flat_root(tmp_path):
    rng = np.random.default_rng(0)
    for split, count in (("train", 3), ("val", 2)):
        for index in range(count):
            mask = np.zeros((24, 24), np.uint8)
            mask[:, rng.integers(2, 20):][:, :3] = 255
            image = np.where(mask[..., None] > 0, 200, 60).astype(np.uint8) + rng.integers(0, 20, (24, 24, 3),
                                                                                            dtype=np.uint8)
            write_png(tmp_path / split / f"s{index}.png", image)
            write_png(tmp_path / split / f"s{index}_mask.png", mask)
    return tmp_path


def test_a_registered_model_is_a_config_choice_and_trains(tmp_path, synthetic_root):
    overrides = [o for o in tiny_overrides(synthetic_root) if not o.startswith("model.depth")] + ["model.name=pixelnet"]
    with MODELS.registered("pixelnet", PixelNet):
        train(load_config(None, overrides), tmp_path / "run")
        model, _ = load_model(tmp_path / "run" / "best.pt")
        assert type(model) is PixelNet and model.spec.args == {"base_channels": 4}  # the config's, as it takes it
        prediction = Predictor.from_checkpoint(tmp_path / "run" / "best.pt").predict(
            np.zeros((13, 17, 3), np.uint8))
        assert prediction.labels.shape == (13, 17)
        with pytest.raises(ConfigError, match="model.depth=3 does not apply to model 'pixelnet' "
                                             "\\(it takes: base_channels\\)"):
            train(load_config(None, [*overrides, "model.depth=3"]), tmp_path / "other")
    with pytest.raises(ConfigError, match="'model.name' must be one of unet, .*resnet50_unet; got 'pixelnet'"):
        load_config(None, overrides)


@pytest.mark.precision
def test_a_registered_format_finds_samples_and_adds_its_metrics(tmp_path, flat_root):
    overrides = [f"data.root={flat_root}", "data.format=flat", "train.monitor=pixel_error",
                 *tiny_overrides(flat_root)[2:], "data.patch_size=16"]
    with FORMATS.registered("flat", FlatFormat()):
        config = load_config(None, overrides)
        assert [s.name for s in find_samples(config.data, "val")] == ["s0", "s1"]
        result = train(config, tmp_path / "run")
        assert 0 <= result["metrics"]["pixel_error"] <= 1
        assert result["metrics"]["pixel_error"] == pytest.approx(1 - result["metrics"]["pixel_accuracy"])
        last = evaluate_checkpoint(tmp_path / "run" / "last.pt", "val")
        assert last["pixel_error"] == pytest.approx(result["metrics"]["pixel_error"])
        best = evaluate_checkpoint(tmp_path / "run" / "best.pt", "val")
        assert best["pixel_error"] == pytest.approx(result["best_score"])  # an error: lower is better
        assert best["pixel_error"] <= last["pixel_error"]
        with pytest.raises(ConfigError, match="train.monitor=pixel_error is scored on data.format=.*flat"):
            load_config(None, [*overrides, "data.format=folder"])
    with pytest.raises(ConfigError, match="'data.format' must be one of"):
        load_config(None, overrides)


def test_registry_refuses_duplicates_and_names_the_choices():
    registry = Registry("widget")
    registry.register("a", 1)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("a", 2)
    with pytest.raises(ConfigError, match="unknown widget 'b' \\(available: a\\)"):
        registry["b"]
