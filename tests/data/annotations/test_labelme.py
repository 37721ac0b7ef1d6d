"""LabelMe in (issue 44): polygons, rectangles, circles and masks of per-image JSON files, lines left out,
classes in name order, and each broken shape named."""
import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from unetkit.data.annotations.labelme import read_labelme
from unetkit.data.annotations.rasterise import rasterise

from ...conftest import write_png


def write_file(folder, name, shapes, size=(30, 40)):
    write_png(folder / f"{name}.png", np.zeros((*size, 3), np.uint8))
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"version": "5.5.0", "flags": {}, "shapes": shapes, "imagePath": f"{name}.png",
                                "imageData": None, "imageHeight": size[0], "imageWidth": size[1]}))
    return path


def shape(label, points, kind="polygon", **extra):
    return {"label": label, "points": points, "group_id": None, "shape_type": kind, "flags": {}, **extra}


def test_polygons_rectangles_circles_and_masks_are_painted_and_lines_left_out(tmp_path):
    patch = np.zeros((4, 6), np.uint8)
    patch[1:3, 1:5] = 1   # LabelMe writes mask patches as 0/1 PNGs
    buffer = io.BytesIO()
    Image.fromarray(patch).save(buffer, format="PNG")
    shapes = [shape("wall", [[2, 2], [38, 2], [38, 28], [2, 28]]),
              shape("window", [[5, 5], [12, 12]], "rectangle"),
              shape("lamp", [[30, 8], [33, 8]], "circle"),
              shape("crack", [[20, 20], [25, 23]], "mask", mask=base64.b64encode(buffer.getvalue()).decode()),
              shape("wire", [[0, 0], [39, 29]], "line")]
    read = read_labelme([write_file(tmp_path, "a", shapes)])
    assert not read.problems and read.class_names() == ["background", "crack", "lamp", "wall", "window"]
    label = rasterise(read.images[0], read.class_ids())
    assert label[8, 8] == 4 and label[8, 30] == 2 and label[21, 22] == 1 and label[20, 20] == 3
    assert label[0, 0] == 0   # the line paints nothing


@pytest.mark.parametrize("bad, expected", [
    (shape("wall", [[1, 1], [5, 5]]), "a polygon of 2 points"),
    (shape("wall", [[1, 1]], "rectangle"), "a rectangle needs its two corners"),
    (shape("wall", [[1, 1], [3, 3]], "mask", mask="not base64 png"), "not a base64 PNG"),
    (shape("wall", [[1, 1], [3, 3]], "cuboid"), "shape_type 'cuboid'"),
])
def test_each_broken_shape_is_one_line_naming_file_image_and_shape(tmp_path, bad, expected):
    path = write_file(tmp_path, "a", [shape("wall", [[2, 2], [9, 2], [9, 9]]), bad])
    problems = read_labelme([path]).problems
    assert len(problems) == 1 and expected in problems[0]
    assert problems[0].startswith(f"{path}: image 'a.png', shape 1 (wall): ")


def test_a_missing_image_is_named(tmp_path):
    path = write_file(tmp_path, "a", [])
    (tmp_path / "a.png").unlink()
    assert read_labelme([path]).problems == [f"{path}: image 'a.png' not found beside it"]
