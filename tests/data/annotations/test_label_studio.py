"""Label Studio in and out (issue 44): its brush RLE as label-studio-sdk's converter writes and reads it,
polygons and rectangles in percent, the newest annotation that was not cancelled, and pre-annotations that
read back as the label map they came from."""
import json
import time

import numpy as np
import pytest

from unetkit.data.annotations.label_studio import label_studio_tasks, read_label_studio
from unetkit.data.annotations.label_studio_rle import decode_rle, encode_rle, mask_to_rle, rle_to_mask
from unetkit.data.annotations.rasterise import rasterise
from unetkit.data.annotations.regions import PredictedImage

from ...conftest import write_png

brush = pytest.importorskip("label_studio_converter.brush", reason="label-studio-converter is in the test extra")


def random_values(rng):
    kind = rng.integers(0, 3)
    if kind == 0:   # a brush: 0 or 255, four values per pixel
        return np.repeat((rng.random(int(rng.integers(1, 900))) < rng.random()).astype(np.uint8) * 255, 4)
    if kind == 1:   # any bytes, lone values and runs longer than 65536 included
        values = np.zeros(int(rng.integers(60_000, 140_000)), np.uint8)
        values[rng.integers(0, values.size, 20)] = rng.integers(0, 256, 20)
        return values
    return rng.integers(0, 3, int(rng.integers(1, 500))).astype(np.uint8)


@pytest.mark.parametrize("seed", range(8))
def test_the_rle_is_byte_for_byte_the_sdks_both_ways(seed):
    values = random_values(np.random.default_rng(seed))
    ours = encode_rle(values)
    assert ours == list(brush.encode_rle(values))
    assert np.array_equal(brush.decode_rle(ours), values)
    assert np.array_equal(decode_rle(brush.encode_rle(values)), values)


def test_a_brush_the_sdk_makes_from_a_mask_decodes_to_that_mask():
    rng = np.random.default_rng(1)
    mask = rng.random((30, 41)) < 0.3
    sdk_rle = brush.mask2rle(mask.astype(np.uint8) * 255)
    assert np.array_equal(rle_to_mask(sdk_rle, 30, 41), mask)
    assert mask_to_rle(mask) == list(sdk_rle)
    with pytest.raises(ValueError, match="a 40x30 RGBA brush"):
        rle_to_mask(sdk_rle, 30, 40)


def test_a_2000_pixel_square_brush_encodes_and_decodes_in_under_a_second():
    import cv2
    rng = np.random.default_rng(0)
    mask = np.zeros((2000, 2000), np.uint8)
    for _ in range(40):
        cv2.circle(mask, (int(rng.integers(0, 2000)), int(rng.integers(0, 2000))), int(rng.integers(10, 300)), 1, -1)
    started = time.perf_counter()
    back = rle_to_mask(mask_to_rle(mask.astype(bool)), 2000, 2000)
    assert time.perf_counter() - started < 1.0 and np.array_equal(back, mask.astype(bool))


def write_export(tmp_path, tasks, size=(30, 40)):
    write_png(tmp_path / "images" / "street.png", np.zeros((*size, 3), np.uint8))
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    return path


def result(kind, value, region_id="r1", size=(30, 40)):
    return {"id": region_id, "type": kind, "from_name": "tag", "to_name": "image", "original_width": size[1],
            "original_height": size[0], "value": value}


def test_brushes_polygons_and_rectangles_of_the_newest_annotation_are_read(tmp_path):
    road = np.zeros((30, 40), bool)
    road[20:, :] = True
    newest = [result("brushlabels", {"format": "rle", "rle": list(brush.mask2rle(road.astype(np.uint8) * 255)),
                                     "brushlabels": ["road"]}),
              result("polygonlabels", {"points": [[25, 10], [50, 10], [50, 40]], "polygonlabels": ["car"]}, "r2"),
              result("rectanglelabels", {"x": 0, "y": 0, "width": 25, "height": 20, "rotation": 0,
                                         "rectanglelabels": ["sign"]}, "r3")]
    task = {"id": 4, "data": {"image": "/data/upload/3/1a2b3c4d-street.png"},
            "annotations": [{"id": 1, "result": [], "created_at": "2026-01-01"},
                            {"id": 2, "result": newest, "created_at": "2026-02-01"},
                            {"id": 3, "result": [], "created_at": "2026-03-01", "was_cancelled": True}]}
    read = read_label_studio(write_export(tmp_path, [task]), tmp_path / "images")
    assert not read.problems and read.class_names() == ["background", "car", "road", "sign"]
    label = rasterise(read.images[0], read.class_ids())
    assert (label[25, :] == 2).all()               # the road brush
    assert label[2, 2] == 3 and label[5, 9] == 3 and label[7, 9] != 3   # the sign box: 10 x 6 pixels
    assert label[4, 18] == 1                       # inside the car triangle (x 10..20, y 3..12)


@pytest.mark.parametrize("item, expected", [
    (result("polygonlabels", {"points": [[1, 1], [5, 5]], "polygonlabels": ["car"]}), "a polygon of 2 points"),
    (result("brushlabels", {"format": "rle", "rle": [0, 0, 0, 8, 57, 27, 252, 224, 0], "brushlabels": ["car"]}),
     "does not fit the 40x30 image"),
    (result("brushlabels", {"format": "rle", "rle": [0, 0], "brushlabels": ["car"]}), "does not fit"),
    (result("polygonlabels", {"points": [[1, 1], [5, 5], [9, 1]]}), "without a label"),
])
def test_each_broken_region_is_one_line_naming_file_task_image_and_region(tmp_path, item, expected):
    path = write_export(tmp_path, [{"id": 9, "data": {"image": "street.png"}, "annotations": [{"result": [item]}]}])
    problems = read_label_studio(path, tmp_path / "images").problems
    assert len(problems) == 1 and expected in problems[0]
    assert problems[0].startswith(f"{path}: task 9, image 'street.png', region r1: ")


def test_pre_annotations_read_back_as_the_label_map_and_the_sdk_reads_their_brushes(tmp_path):
    label = np.zeros((30, 40), np.uint8)
    label[5:25, 5:35] = 1
    label[10:15, 10:15] = 2
    probabilities = np.full((3, 30, 40), 0.5, np.float32)
    tasks = label_studio_tasks([PredictedImage("street.png", label, probabilities)], ["background", "wall", "door"])
    prediction = tasks[0]["predictions"][0]
    assert {r["value"]["brushlabels"][0] for r in prediction["result"]} == {"wall", "door"}
    assert prediction["score"] == 0.5 and all(r["score"] == 0.5 for r in prediction["result"])
    for region in prediction["result"]:   # the SDK's own reading of each brush
        flat = dict(region["value"], type=region["type"], original_width=40, original_height=30)
        (decoded,) = brush.decode_from_annotation("tag", [flat]).values()
        assert np.array_equal(decoded > 0, label == (1 if region["value"]["brushlabels"] == ["wall"] else 2))
    as_export = [{"id": 1, "data": tasks[0]["data"], "annotations": [{"result": prediction["result"]}]}]
    read = read_label_studio(write_export(tmp_path, as_export), tmp_path / "images")
    assert np.array_equal(rasterise(read.images[0], {"wall": 1, "door": 2}), label)


def test_runs_past_65536_are_written_as_the_converter_writes_them():
    for length in (65_536, 65_537, 131_072, 131_073, 300):
        values = np.r_[np.zeros(length, np.uint8), np.full(3, 7, np.uint8)]
        assert encode_rle(values) == list(brush.encode_rle(values)), length


def test_a_turned_rectangle_and_an_ellipse_are_painted_where_label_studio_draws_them(tmp_path):
    turned = result("rectanglelabels", {"x": 50, "y": 10, "width": 25, "height": 10, "rotation": 90,
                                        "rectanglelabels": ["sign"]})   # 10 x 3 px, turned about (20, 3): downwards
    ellipse = result("ellipselabels", {"x": 25, "y": 70, "radiusX": 10, "radiusY": 10, "rotation": 0,
                                       "ellipselabels": ["lamp"]}, "r2")   # centre (10, 21), radii 4 x 3
    path = write_export(tmp_path, [{"id": 1, "data": {"image": "street.png"}, "annotations": [{"result": [turned, ellipse]}]}])
    read = read_label_studio(path, tmp_path / "images")
    label = rasterise(read.images[0], read.class_ids())
    assert read.class_names() == ["background", "lamp", "sign"]
    assert label[10, 18] == 2 and label[4, 25] != 2   # below the corner, not to its right
    assert label[21, 10] == 1 and label[21, 16] != 1


def test_tasks_and_values_of_the_wrong_type_are_problem_lines(tmp_path):
    bad_value = dict(result("polygonlabels", {}), value="not an object")
    bad_points = result("polygonlabels", {"points": [1, 2, 3], "polygonlabels": ["car"]}, "r2")
    task = {"id": 1, "data": {"image": "street.png"}, "annotations": [{"result": [bad_value, bad_points]}]}
    path = write_export(tmp_path, [task, "not a task"])
    problems = read_label_studio(path, tmp_path / "images").problems
    assert len(problems) == 3 and "whose value is not an object" in problems[0] and "unreadable" in problems[1]
    assert "task 1 (in file order) is not an object with 'data'" in problems[2]
