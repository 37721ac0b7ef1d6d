"""COCO in (issue 44): polygons and RLE painted as pycocotools' annToMask paints them, overlaps by the
documented rule, crowds ignored, category ids that are not 0..K-1, and each broken annotation named."""
import json

import numpy as np
import pytest
from pycocotools import mask as coco_mask
from pycocotools.coco import COCO

from unetkit.data.annotations.coco import coco_document, compressed_counts, read_coco
from unetkit.data.annotations.rasterise import IGNORE, rasterise
from unetkit.data.annotations.regions import PredictedImage
from unetkit.errors import DataError

from ...conftest import write_png


def random_polygon(rng, width, height):
    cx, cy = rng.uniform(0, width), rng.uniform(0, height)
    angles = np.sort(rng.uniform(0, 2 * np.pi, rng.integers(3, 12)))
    radii = rng.uniform(2, max(width, height) / 3, len(angles))
    return np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], 1).round(2).ravel().tolist()


def write_export(tmp_path, annotations, categories, size=(40, 56)):
    height, width = size
    write_png(tmp_path / "images" / "a.png", np.zeros((height, width, 3), np.uint8))
    document = {"images": [{"id": 7, "file_name": "a.png", "width": width, "height": height}],
                "annotations": annotations, "categories": categories}
    path = tmp_path / "coco.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("seed", range(6))
def test_each_region_paints_the_pixels_annToMask_paints(tmp_path, seed):
    rng = np.random.default_rng(seed)
    height, width = 40, 56
    annotations = []
    for number in range(5):
        if number % 3 == 2:   # RLE: compressed, or uncompressed as COCO writes crowds
            blob = np.zeros((height, width), np.uint8)
            blob[rng.integers(0, 30):rng.integers(30, 40), rng.integers(0, 40):rng.integers(40, 56)] = 1
            rle = coco_mask.encode(np.asfortranarray(blob))
            segmentation = {"size": [height, width], "counts": rle["counts"].decode()}
        else:
            segmentation = [random_polygon(rng, width, height) for _ in range(1 + number % 2)]
        annotations.append({"id": 100 + number, "image_id": 7, "category_id": 10, "segmentation": segmentation,
                            "iscrowd": 0, "area": 1, "bbox": [0, 0, 1, 1]})
    path = write_export(tmp_path, annotations, [{"id": 10, "name": "cell"}])
    reference = COCO(str(path))
    read = read_coco(path, tmp_path / "images")
    assert not read.problems
    for annotation in annotations:
        image = read.images[0]
        single = type(image)(image.file_name, image.path, width, height,
                             [r for r in image.regions if r.annotation_id == annotation["id"]])
        painted = rasterise(single, read.class_ids())
        assert np.array_equal(painted == 1, reference.annToMask(reference.anns[annotation["id"]]) == 1)


def test_overlaps_crowds_and_category_ids_follow_the_documented_rule(tmp_path):
    big = [[2, 2, 50, 2, 50, 36, 2, 36]]                 # building, drawn last in the file
    small = [[10, 10, 20, 10, 20, 20, 10, 20]]           # window inside it, drawn first
    crowd = {"size": [40, 56], "counts": [40 * 30, 40 * 26]}   # uncompressed: the right 26 columns
    annotations = [{"id": 1, "image_id": 7, "category_id": 42, "segmentation": small, "iscrowd": 0},
                   {"id": 2, "image_id": 7, "category_id": 7, "segmentation": big, "iscrowd": 0},
                   {"id": 3, "image_id": 7, "category_id": 7, "segmentation": crowd, "iscrowd": 1}]
    path = write_export(tmp_path, annotations, [{"id": 7, "name": "building"}, {"id": 42, "name": "window"}])
    read = read_coco(path, tmp_path / "images")
    assert read.class_names() == ["background", "building", "window"]   # ids 7 and 42 -> 1 and 2
    label = rasterise(read.images[0], read.class_ids())
    assert label[15, 15] == 2          # the smaller region wins over the larger drawn after it
    assert label[5, 5] == 1 and label[38, 5] == 0
    assert label[5, 40] == 1           # an object inside a crowd keeps its class ...
    assert label[38, 40] == IGNORE     # ... the rest of the crowd is ignored
    assert rasterise(read.images[0], read.class_ids(), crowd_as_ignore=False)[38, 40] == 1


def test_a_background_category_of_the_file_is_class_zero(tmp_path):
    path = write_export(tmp_path, [], [{"id": 1, "name": "car"}, {"id": 5, "name": "_background_"}])
    assert read_coco(path, tmp_path / "images").class_names() == ["_background_", "car"]


@pytest.mark.parametrize("annotation, expected", [
    ({"segmentation": [[1, 1, 5, 5]]}, "a polygon of 2 points"),
    ({"segmentation": {"size": [20, 20], "counts": [400]}}, "an RLE of size 20x20 on an image of 40x56"),
    ({"segmentation": {"size": [40, 56], "counts": [100, 5]}}, "RLE counts that cover 105 pixels"),
    ({"segmentation": {"size": [40, 56], "counts": "0"}}, "compressed RLE counts that cover"),
    ({"category_id": 9}, "category 9 is not among the file's categories (1)"),
    ({"image_id": 99}, "image id 99 is not among the file's images"),
])
def test_each_broken_annotation_is_one_line_naming_file_image_and_annotation(tmp_path, annotation, expected):
    entry = {"id": 31, "image_id": 7, "category_id": 1, "segmentation": [[1, 1, 9, 1, 9, 9]], **annotation}
    path = write_export(tmp_path, [entry], [{"id": 1, "name": "cell"}])
    problems = read_coco(path, tmp_path / "images").problems
    assert len(problems) == 1 and str(path) in problems[0] and expected in problems[0]
    assert "annotation 31" in problems[0]
    if annotation.get("image_id") != 99:
        assert "image 'a.png'" in problems[0]


def test_a_missing_image_and_a_file_that_is_not_coco_are_named(tmp_path):
    path = write_export(tmp_path, [], [{"id": 1, "name": "cell"}])
    document = json.loads(path.read_text())
    document["images"].append({"id": 8, "file_name": "gone.png", "width": 4, "height": 4})
    path.write_text(json.dumps(document))
    assert read_coco(path, tmp_path / "images").problems == [
        f"{path}: image 'gone.png' (id 8) not found in {tmp_path / 'images'}"]
    (tmp_path / "other.json").write_text('{"shapes": []}')
    with pytest.raises(DataError, match="other.json: not a COCO instances file"):
        read_coco(tmp_path / "other.json", tmp_path / "images")
    (tmp_path / "broken.json").write_text('{"images": [')
    with pytest.raises(DataError, match="broken.json: not a JSON file"):
        read_coco(tmp_path / "broken.json", tmp_path / "images")


def test_compressed_counts_read_as_pycocotools_writes_them():
    rng = np.random.default_rng(0)
    for _ in range(50):
        height, width = rng.integers(1, 40, 2)
        blob = (rng.random((height, width)) < rng.random()).astype(np.uint8)
        rle = coco_mask.encode(np.asfortranarray(blob))
        runs = compressed_counts(rle["counts"].decode())
        assert sum(runs) == height * width and sum(runs[1::2]) == blob.sum()


def test_predictions_written_as_coco_read_back_as_the_same_label_map(tmp_path):
    rng = np.random.default_rng(3)
    label = np.zeros((40, 56), np.uint8)
    label[5:35, 5:50] = 1
    label[10:15, 10:15] = 0      # a hole: written as RLE
    label[20:30, 30:40] = 2      # a window in the facade
    label[rng.random(label.shape) < 0.02] = 3   # specks, single pixels included
    probabilities = np.full((4, 40, 56), 0.25, np.float32)
    document = coco_document([PredictedImage("a.png", label, probabilities)], ["background", "facade", "window", "speck"])
    assert any(isinstance(a["segmentation"], dict) for a in document["annotations"])   # the piece with holes
    assert any(isinstance(a["segmentation"], list) for a in document["annotations"])
    assert all(a["score"] == 0.25 for a in document["annotations"])
    write_png(tmp_path / "images" / "a.png", np.zeros((40, 56, 3), np.uint8))
    (tmp_path / "pred.json").write_text(json.dumps(document))
    read = read_coco(tmp_path / "pred.json", tmp_path / "images")
    assert not read.problems and read.class_names() == ["background", "facade", "window", "speck"]
    assert np.array_equal(rasterise(read.images[0], read.class_ids()), label)


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["images"][0].update(width="abc"), "width and height are not whole numbers"),
    (lambda d: d["images"][0].update(id=[7]), "an image entry without an 'id' and a 'file_name'"),
    (lambda d: d["annotations"].append("not an object"), "annotation 1 (in file order) is not an object"),
    (lambda d: d["annotations"][0].update(category_id=[1]), "category [1] is not among the file's categories"),
    (lambda d: d["annotations"][0].update(segmentation=[["a", "b", "c", 1, 2, 3]]), "not x, y pairs of numbers"),
])
def test_entries_of_the_wrong_json_type_are_problem_lines_not_tracebacks(tmp_path, change, expected):
    path = write_export(tmp_path, [{"id": 31, "image_id": 7, "category_id": 1, "segmentation": [[1, 1, 9, 1, 9, 9]]}],
                        [{"id": 1, "name": "cell"}])
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    problems = read_coco(path, tmp_path / "images").problems
    assert any(expected in problem and str(path) in problem for problem in problems), problems


def test_roboflows_project_category_is_left_out(tmp_path):
    categories = [{"id": 0, "name": "facades", "supercategory": "none"},
                  {"id": 1, "name": "door", "supercategory": "facades"}, {"id": 2, "name": "wall", "supercategory": "facades"}]
    path = write_export(tmp_path, [{"id": 1, "image_id": 7, "category_id": 2, "segmentation": [[1, 1, 9, 1, 9, 9]]}],
                        categories)
    assert read_coco(path, tmp_path / "images").class_names() == ["background", "door", "wall"]
