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


def test_predict_writes_the_users_colours_from_the_checkpoint(tmp_path, capsys, checkpoint):
    """A model trained on RGB colour masks keeps their colours; --palette user writes label PNGs (class
    ids in a palette of those colours), classes.json and panels in them. A model without colours says so."""
    from tests.conftest import SCENE_COLOURS, tiny_overrides, write_scene_dataset
    from unetkit.cli import main
    root = write_scene_dataset(tmp_path / "scenes", count=4, table="classes.yaml")
    colours = [list(c) for c in SCENE_COLOURS.values()]
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), *tiny_overrides(root), "train.epochs=1", "data.mask=index",
                 "data.num_classes=3", f"data.colors={json.dumps(colours)}",
                 f"data.class_names={','.join(SCENE_COLOURS)}"]) == 0
    out = tmp_path / "preds"
    assert main(["predict", "--checkpoint", str(run / "last.pt"), str(root / "train/images/s0.png"), "--out", str(out),
                 "--palette", "user", "--panel"]) == 0
    written = Image.open(out / "s0.png")
    assert written.mode == "P" and np.asarray(written).max() <= 2
    assert np.array(written.getpalette()[:9]).reshape(3, 3).tolist() == colours
    described = json.loads((out / "classes.json").read_text())["classes"]
    assert [(c["name"], c["color"]) for c in described] == list(zip(SCENE_COLOURS, colours))
    panel = np.asarray(Image.open(out / "s0_panel.png"))
    assert {tuple(p) for p in panel[:, -10:].reshape(-1, 3)} <= {tuple(c) for c in colours}   # the prediction
    capsys.readouterr()
    code = main(["predict", "--checkpoint", str(checkpoint), str(root / "train/images/s0.png"), "--out",
                 str(tmp_path / "binary"), "--palette", "user"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "--palette user needs the colours" in err
