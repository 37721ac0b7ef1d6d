"""data.format=coco (issue 44): found in the layouts exports come in, painted once into a cache that an
edited export invalidates, inspected with the classes the file declares, and trained through the plan."""
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from unetkit.cli import main
from unetkit.config import DataConfig
from unetkit.data.fingerprint import fingerprint_dataset
from unetkit.data.formats import detect_format, find_samples
from unetkit.data.formats.annotated import format_of_export
from unetkit.data.formats.coco import CocoOptions
from unetkit.errors import DataError

from .annotations.exports import CLASSES, write_coco_split, write_roboflow_coco


def shares(labels):
    counts = np.bincount(np.concatenate([label.ravel() for label in labels]), minlength=len(CLASSES))
    return (counts / counts.sum()).round(3).tolist()


def test_a_roboflow_export_is_found_and_inspected_with_its_classes_and_shares(tmp_path, capsys):
    labels = write_roboflow_coco(tmp_path / "rf", train=6, val=2)
    assert detect_format(tmp_path / "rf") == "coco"
    data = DataConfig(format="coco", root=str(tmp_path / "rf"))
    train, val = find_samples(data, "train"), find_samples(data, "val")
    assert [s.name for s in train] == [f"img{i:03d}" for i in range(6)] and len(val) == 2
    assert np.array_equal(np.asarray(Image.open(train[2].mask)), labels["img002"])
    fingerprint = fingerprint_dataset(data)
    assert fingerprint.masks.class_names == CLASSES and fingerprint.masks.num_classes == 4
    assert [round(f, 3) for f in fingerprint.masks.class_fractions] == shares(labels.values())
    assert main(["inspect", str(tmp_path / "rf")]) == 0
    out = capsys.readouterr().out
    assert "data.format=coco" in out and "named by _annotations.coco.json" in out


def test_cocos_own_and_cvats_layouts_and_a_named_file(tmp_path):
    write_coco_split(tmp_path / "own" / "train2017", tmp_path / "own" / "annotations" / "instances_train2017.json", 4, 0)
    write_coco_split(tmp_path / "own" / "val2017", tmp_path / "own" / "annotations" / "instances_val2017.json", 2, 9)
    data = DataConfig(format=detect_format(tmp_path / "own"), root=str(tmp_path / "own"))
    assert data.format == "coco" and len(find_samples(data, "val")) == 2

    write_coco_split(tmp_path / "cvat" / "images", tmp_path / "cvat" / "annotations" / "instances_default.json", 10, 0)
    cvat = DataConfig(format="coco", root=str(tmp_path / "cvat"))
    held_out = find_samples(cvat, "val")   # one set: data.val_fraction held out, as the folder format does
    assert len(held_out) == 1 and len(find_samples(cvat, "train")) == 9
    assert not {s.name for s in held_out} & {s.name for s in find_samples(cvat, "train")}

    file = tmp_path / "cvat" / "annotations" / "instances_default.json"
    assert format_of_export(file) == "coco"
    named = DataConfig(format="coco", annotations=str(file), images=str(tmp_path / "cvat" / "images"))
    assert len(find_samples(named, "train")) == 9
    with pytest.raises(DataError, match="not an annotation export"):
        format_of_export(tmp_path / "cvat" / "images" / "img000.png")


def test_the_painting_is_reused_until_the_export_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("UNETKIT_CACHE", str(tmp_path / "cache"))
    write_roboflow_coco(tmp_path / "rf", train=3, val=0)
    data = DataConfig(format="coco", root=str(tmp_path / "rf"))
    first = find_samples(data, "train")[0].mask
    stamp = first.stat().st_mtime_ns
    assert find_samples(data, "train")[0].mask == first and first.stat().st_mtime_ns == stamp
    file = tmp_path / "rf" / "train" / "_annotations.coco.json"
    document = json.loads(file.read_text())
    document["annotations"] = [a for a in document["annotations"] if a["image_id"] != 1]   # img000 cleared
    file.write_text(json.dumps(document))
    again = find_samples(data, "train")[0].mask
    assert again != first and not np.asarray(Image.open(again)).any()
    assert len(list((tmp_path / "cache" / "annotations").iterdir())) == 2


def test_images_without_annotations_are_background_or_left_out(tmp_path):
    write_roboflow_coco(tmp_path / "rf", train=4, val=0)
    file = tmp_path / "rf" / "train" / "_annotations.coco.json"
    document = json.loads(file.read_text())
    document["annotations"] = [a for a in document["annotations"] if a["image_id"] != 2]
    file.write_text(json.dumps(document))
    data = DataConfig(format="coco", root=str(tmp_path / "rf"), val_images=["img000"])
    assert "img001" in [s.name for s in find_samples(data, "train")]   # COCO lists it on purpose: background
    data.pieces["coco"] = CocoOptions(unannotated="unlabelled")
    assert "img001" not in [s.name for s in find_samples(data, "train")]


def test_every_broken_annotation_is_listed_by_inspect_and_train_stops_on_the_first(tmp_path, capsys):
    write_roboflow_coco(tmp_path / "rf", train=4, val=0)
    file = tmp_path / "rf" / "train" / "_annotations.coco.json"
    document = json.loads(file.read_text())
    document["annotations"][0]["segmentation"] = [[1, 1, 5, 5]]
    document["annotations"][1]["category_id"] = 77
    document["images"][2]["file_name"] = "gone.png"
    file.write_text(json.dumps(document))
    assert main(["inspect", str(tmp_path / "rf")]) == 2
    out = capsys.readouterr().out
    assert "a polygon of 2 points" in out and "category 77 is not among" in out and "image 'gone.png'" in out
    assert main(["train", "--out", str(tmp_path / "run"), f"data.root={tmp_path / 'rf'}", "train.max_minutes=0.1"]) == 2
    err = capsys.readouterr().err
    assert "image 'gone.png'" in err and "(and 2 more: `unetkit inspect" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_a_coco_export_trains_through_the_plan_and_evaluates(tmp_path, monkeypatch):
    from unetkit.train import speed_probe
    monkeypatch.setattr(speed_probe, "MEASURE_SECONDS", 0.3)
    write_roboflow_coco(tmp_path / "rf", train=6, val=2)
    shutil.copytree(tmp_path / "rf" / "valid", tmp_path / "rf" / "test")
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), f"data.root={tmp_path / 'rf'}", "train.max_minutes=0.15",
                 "train.progress=false", "train.precision=fp32", "model.name=unet"]) == 0
    assert "format: coco" in (run / "config.yaml").read_text()
    assert main(["evaluate", "--checkpoint", str(run / "best.pt"), "--split", "test",
                 "--json", str(tmp_path / "test.json")]) == 0
    scores = json.loads((tmp_path / "test.json").read_text())
    assert set(scores["iou_per_class"]) == set(CLASSES)


def test_validation_categories_listed_in_another_order_mean_the_same_classes(tmp_path):
    labels = write_coco_split(tmp_path / "rf" / "train", tmp_path / "rf" / "train" / "_annotations.coco.json", 4, 0)
    val = write_coco_split(tmp_path / "rf" / "valid", tmp_path / "rf" / "valid" / "_annotations.coco.json", 2, 20)
    file = tmp_path / "rf" / "valid" / "_annotations.coco.json"
    document = json.loads(file.read_text())
    document["categories"] = document["categories"][::-1]   # car, window, building, with other ids:
    for category in document["categories"]:
        category["id"] += 10
    for annotation in document["annotations"]:
        annotation["category_id"] += 10
    file.write_text(json.dumps(document))
    data = DataConfig(format="coco", root=str(tmp_path / "rf"))
    for sample in find_samples(data, "val"):
        assert np.array_equal(np.asarray(Image.open(sample.mask)), val[sample.name])
    assert len(find_samples(data, "train")) == len(labels)


def test_named_held_out_images_must_exist_and_are_held_out(tmp_path):
    write_roboflow_coco(tmp_path / "rf", train=4, val=0)
    data = DataConfig(format="coco", root=str(tmp_path / "rf"), val_images=["img000"])
    assert [s.name for s in find_samples(data, "val")] == ["img000"]
    assert "img000" not in [s.name for s in find_samples(data, "train")]
    with pytest.raises(DataError, match=r"data.val_images \['img999'\] are not among"):
        find_samples(DataConfig(format="coco", root=str(tmp_path / "rf"), val_images=["img999"]), "train")


def test_an_image_added_after_painting_is_painted_and_test_split_problems_do_not_stop_training(tmp_path):
    write_roboflow_coco(tmp_path / "rf", train=3, val=0)
    file = tmp_path / "rf" / "train" / "_annotations.coco.json"
    moved = tmp_path / "img001.png"
    (tmp_path / "rf" / "train" / "img001.png").rename(moved)
    data = DataConfig(format="coco", root=str(tmp_path / "rf"))
    assert fingerprint_dataset(data).problems   # img001 missing
    moved.rename(tmp_path / "rf" / "train" / "img001.png")   # the export is unchanged, the image is back
    assert "img001" in [s.name for s in find_samples(data, "train") + find_samples(data, "val")]
    write_coco_split(tmp_path / "rf" / "test", tmp_path / "rf" / "test" / "_annotations.coco.json", 2, 40)
    document = json.loads((tmp_path / "rf" / "test" / "_annotations.coco.json").read_text())
    document["annotations"][0]["segmentation"] = [[1, 1, 2, 2]]
    (tmp_path / "rf" / "test" / "_annotations.coco.json").write_text(json.dumps(document))
    fingerprint = fingerprint_dataset(data)
    assert not fingerprint.problems and any("a polygon of 2 points" in note for note in fingerprint.notes)
    assert file.is_file()
