import json

import numpy as np
from PIL import Image

from unetkit import Predictor
from unetkit.apps.prediction_outputs import (
    OutputOptions,
    write_classes_json,
    write_prediction,
)
from unetkit.cli import main
from unetkit.infer.predictor import Prediction


def _prediction(num_classes):
    labels = np.zeros((20, 30), np.uint8)
    labels[5:15, 5:12] = 1
    labels[2:8, 20:28] = num_classes - 1
    probabilities = np.eye(num_classes, dtype=np.float32)[labels].transpose(2, 0, 1)
    return Prediction(labels, probabilities, np.full((20, 30, 3), 90, np.uint8))


def test_multiclass_label_png_is_a_palette_of_class_ids(tmp_path):
    prediction = _prediction(4)
    truth = prediction.labels.copy()
    options = OutputOptions(overlay=True, probabilities="png", panel=True, contours=True)
    written = write_prediction(prediction, "x", tmp_path, 4, options, ground_truth=truth)
    assert [p.name for p in written] == ["x.png", "x_probs.png", "x_overlay.png", "x_panel.png", "x_contours.png"]
    label_image = Image.open(tmp_path / "x.png")
    assert label_image.mode == "P" and np.array_equal(np.asarray(label_image), prediction.labels)
    assert tuple(label_image.getpalette()[3:6]) == (128, 0, 0)  # VOC colour of class 1
    probabilities = np.asarray(Image.open(tmp_path / "x_probs.png"))
    assert probabilities.shape == (20, 120) and probabilities.max() == 65535
    panel = np.asarray(Image.open(tmp_path / "x_panel.png"))
    assert panel.shape == (20, 3 * 30 + 2 * 4, 3)
    contours = np.asarray(Image.open(tmp_path / "x_contours.png"))
    assert (contours[5, 5:12] != 90).any() and (contours[10, 8] == 90).all()  # outline drawn, inside untouched


def test_classes_json(tmp_path):
    write_classes_json(tmp_path, ["background", "cat", "dog"])
    classes = json.loads((tmp_path / "classes.json").read_text())["classes"]
    assert [c["name"] for c in classes] == ["background", "cat", "dog"] and classes[1]["color"] == [128, 0, 0]


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


def test_cli_fps_and_tile_overrides(capsys, tmp_path, checkpoint, synthetic_root):
    image = synthetic_root / "val/images/val_000.png"
    code = main(["predict", "--checkpoint", str(checkpoint), str(image), "--out", str(tmp_path), "--fps", "3"])
    out = capsys.readouterr().out
    assert code == 0 and "images/s" in out and "ms/image" in out
    code = main(["predict", "--checkpoint", str(checkpoint), str(image), "infer.tile=32", "--out", str(tmp_path),
                 "--panel", "--masks", str(synthetic_root / "val/masks")])
    assert code == 0 and (tmp_path / "val_000_panel.png").is_file()
    code = main(["predict", "--checkpoint", str(checkpoint), str(image), "infer.tile=-1", "--out", str(tmp_path)])
    assert code == 2 and "infer.tile" in capsys.readouterr().err


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
