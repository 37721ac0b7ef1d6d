import json

import numpy as np
from PIL import Image

from unetkit.apps.prediction_outputs import (
    OutputOptions,
    write_classes_json,
    write_prediction,
)
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
