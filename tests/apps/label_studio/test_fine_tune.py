"""The fine-tuning job's data and config (apps/label_studio/fine_tune.py), without Label Studio: a project's
labels in another order than the model's classes, a label the model lacks, and the served run's settings."""
from __future__ import annotations

import numpy as np
from PIL import Image

from unetkit.apps.label_studio.connection import LabelStudio
from unetkit.apps.label_studio.fine_tune import fine_tune_config, paint_dataset
from unetkit.apps.label_studio.label_config import parse_label_config
from unetkit.data.annotations.label_studio_rle import mask_to_rle

CONFIG = ('<View><Image name="image" value="$image"/><BrushLabels name="tag" toName="image">'
          '<Label value="Road"/><Label value="weed"/><Label value="sky"/></BrushLabels></View>')


def brush(mask: np.ndarray, label: str) -> dict:
    return {"type": "brushlabels", "from_name": "tag", "to_name": "image", "original_width": mask.shape[1],
            "original_height": mask.shape[0], "value": {"format": "rle", "rle": mask_to_rle(mask), "brushlabels": [label]}}


def test_the_painted_masks_follow_the_models_class_order_and_ignore_unknown_labels(tmp_path):
    image = np.full((24, 32, 3), 90, np.uint8)
    Image.fromarray(image).save(tmp_path / "street.png")
    sky, road, weed = (np.zeros((24, 32), bool) for _ in range(3))
    sky[:8], road[16:], weed[10:13, :5] = True, True, True
    tasks = [{"id": 7, "data": {"image": str(tmp_path / "street.png")},
              "annotations": [{"result": [brush(sky, "sky"), brush(road, "Road"), brush(weed, "weed")]}]},
             {"id": 8, "data": {"image": str(tmp_path / "street.png")}},                       # not annotated
             {"id": 9, "data": {"image": str(tmp_path / "gone.png")}, "annotations": [{"result": []}]}]
    classes = ["background", "sky", "building", "road"]   # the model's order; the project has no 'building'
    count = paint_dataset(tasks, parse_label_config(CONFIG), LabelStudio(), classes, 3, tmp_path / "data")
    assert count == 1   # task 8 has no annotation, task 9's image is gone (said in the log, left out)
    mask = np.asarray(Image.open(tmp_path / "data" / "train" / "masks" / "task_7.png"))
    assert (mask[sky] == 1).all() and (mask[road] == 3).all()   # by name, case ignored, in the model's order
    assert (mask[weed] == 255).all()                            # a label the model lacks: ignored, not background
    assert (mask[~(sky | road | weed)] == 0).all()
    assert parse_label_config(CONFIG).unlabelled_classes(classes) == ["building"]


def test_the_fine_tuning_config_keeps_the_recipe_and_drops_the_old_data(tmp_path):
    served = {"data": {"format": "drive", "root": "/data/drive", "val_images": ["21"], "patch_size": 128,
                       "channels": 3, "pieces": {"drive": {"x": 1}}},
              "model": {"name": "unet", "base_channels": 16, "encoder_weights": "imagenet"},
              "train": {"lr": 0.002, "epochs": 20, "device": "cuda:1", "freeze_encoder_epochs": 3, "warmup_epochs": 1.0},
              "infer": {"temperature": 1.7, "class_bias": [0.1, -0.1], "tile": 512}}
    config = fine_tune_config(served, tmp_path / "data", ["background", "vessel"], "run/best.pt", 2.0, "cpu")
    assert config["data"] == {"patch_size": 128, "channels": 3, "format": "folder", "root": str(tmp_path / "data"),
                              "mask": "index", "num_classes": 2, "class_names": ["background", "vessel"]}
    assert config["model"] == {"name": "unet", "base_channels": 16, "encoder_weights": "", "init_from": "run/best.pt"}
    assert config["train"]["lr"] == 0.002 and config["train"]["max_minutes"] == 2.0 and config["train"]["device"] == "cpu"
    assert config["train"]["freeze_encoder_epochs"] == 0 and config["train"]["warmup_epochs"] == 0
    assert config["infer"] == {"temperature": 1.0, "class_bias": [], "tile": 512}
