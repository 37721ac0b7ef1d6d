"""data.format=cvat, labelme, label_studio (issue 44): each found by its files' shape, read into the same label
maps as the tool's drawing, and data.annotations=FILE telling the format from the file."""
import json

import numpy as np
import pytest
from PIL import Image

from unetkit.cli import main
from unetkit.config import DataConfig
from unetkit.data.annotations.cvat import cvat_xml
from unetkit.data.annotations.label_studio import label_studio_tasks
from unetkit.data.annotations.regions import PredictedImage
from unetkit.data.formats import detect_format, find_samples
from unetkit.data.formats.annotated import format_of_export

from ..conftest import write_png
from .annotations.exports import CLASSES, scene_image, scene_label


def write_images(folder, count, seed=0):
    labels = {}
    for index in range(count):
        label = scene_label(seed + index)
        write_png(folder / f"img{seed + index:03d}.png", scene_image(label, seed + index))
        labels[f"img{seed + index:03d}"] = label
    return labels


def write_cvat(root, count=5):
    labels = write_images(root / "images", count)
    predicted = [PredictedImage(f"{name}.png", label) for name, label in labels.items()]
    (root / "annotations.xml").write_text(cvat_xml(predicted, CLASSES))
    return labels


def write_label_studio(root, count=5):
    labels = write_images(root / "images", count)
    tasks = label_studio_tasks([PredictedImage(f"{name}.png", label) for name, label in labels.items()], CLASSES,
                               image_url="/data/upload/7/0a1b2c3d-")
    export = [{"id": i, "data": t["data"], "annotations": [{"result": t["predictions"][0]["result"]}]}
              for i, t in enumerate(tasks)]
    (root / "project-7-at-2026-12-07.json").write_text(json.dumps(export))
    return labels


def write_labelme(folder, count=5):
    labels = write_images(folder, count)
    for name, label in labels.items():
        shapes = []
        for class_id in (1, 2, 3):
            import cv2
            contours, _ = cv2.findContours((label == class_id).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            shapes += [{"label": CLASSES[class_id], "points": c.reshape(-1, 2).tolist(), "shape_type": "polygon"}
                       for c in contours if len(c) >= 3]
        (folder / f"{name}.json").write_text(json.dumps({"shapes": shapes, "imagePath": f"{name}.png",
                                                         "imageHeight": label.shape[0], "imageWidth": label.shape[1]}))
    return labels


def painted(sample):
    return np.asarray(Image.open(sample.mask))


@pytest.mark.parametrize("name, writer", [("cvat", write_cvat), ("label_studio", write_label_studio)])
def test_an_export_with_its_images_folder_is_found_and_paints_the_drawn_maps(tmp_path, name, writer):
    labels = writer(tmp_path / name)
    assert detect_format(tmp_path / name) == name
    data = DataConfig(format=name, root=str(tmp_path / name))
    samples = find_samples(data, "train") + find_samples(data, "val")   # one set: validation held out of it
    assert sorted(s.name for s in samples) == sorted(labels)
    # CVAT declares its labels in order; Label Studio's export has no label list: its classes in name order
    order = CLASSES if name == "cvat" else ["background", *sorted(CLASSES[1:])]
    to_read = np.array([order.index(c) for c in CLASSES], np.uint8)
    for sample in samples:
        assert np.array_equal(painted(sample), to_read[labels[sample.name]])


def test_labelme_files_beside_their_images_per_split(tmp_path):
    train = write_labelme(tmp_path / "lm" / "train", 4)
    write_labelme(tmp_path / "lm" / "val", 2)
    assert detect_format(tmp_path / "lm") == "labelme"
    data = DataConfig(format="labelme", root=str(tmp_path / "lm"))
    samples = find_samples(data, "train")
    assert [s.name for s in samples] == sorted(train) and len(find_samples(data, "val")) == 2
    # outlines traced through pixel centres: each region less part of its border (a window's border pixels
    # fall to the facade drawn around it), every class there
    to_read = np.array([["background", *sorted(CLASSES[1:])].index(c) for c in CLASSES], np.uint8)   # name order
    for sample in samples:
        mask, label = painted(sample), to_read[train[sample.name]]
        assert set(np.unique(mask)) == set(np.unique(label)) and (mask == label).mean() > 0.85


def test_data_annotations_names_an_export_anywhere_and_the_plan_tells_its_format(tmp_path, capsys):
    write_label_studio(tmp_path / "ls", 6)
    export = tmp_path / "ls" / "project-7-at-2026-12-07.json"
    assert format_of_export(export) == "label_studio"
    assert main(["inspect", str(tmp_path / "ls"), f"data.annotations={export}",
                 f"data.images={tmp_path / 'ls' / 'images'}"]) == 0
    out = capsys.readouterr().out
    assert "data.format=label_studio" in out and "['background', 'building', 'car', 'window']" in out
