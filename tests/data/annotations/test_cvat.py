"""CVAT for images 1.1 in and out (issue 44): mask runs as cvat-sdk encodes them, polygons, boxes when
asked, z_order over size, labels that are not declared, and pre-annotations that read back."""
import numpy as np
import pytest

from unetkit.data.annotations.cvat import cvat_xml, mask_from_runs, read_cvat, runs_of
from unetkit.data.annotations.rasterise import rasterise
from unetkit.data.annotations.regions import PredictedImage
from unetkit.errors import DataError

from ...conftest import write_png

masks = pytest.importorskip("cvat_sdk.masks", reason="cvat-sdk is in the test extra")


@pytest.mark.parametrize("seed", range(6))
def test_mask_runs_are_cvat_sdks_both_ways(seed):
    rng = np.random.default_rng(seed)
    mask = rng.random((20, 30)) < rng.uniform(0.05, 0.9)
    mask[rng.integers(0, 20), rng.integers(0, 30)] = True
    encoded = masks.encode_mask(mask)   # runs..., left, top, right, bottom (inclusive)
    runs, (left, top, width, height) = runs_of(mask)
    assert runs == [int(v) for v in encoded[:-4]]
    assert [left, top, left + width - 1, top + height - 1] == [int(v) for v in encoded[-4:]]
    assert np.array_equal(mask_from_runs(runs, left, top, width, height, 30, 20),
                          masks.decode_mask(encoded, image_width=30, image_height=20))


XML = """<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version>
 <meta><job><labels><label><name>wall</name></label><label><name>door</name></label></labels></job></meta>
 <image id="0" name="frames/a.png" width="40" height="30">
  <polygon label="door" source="manual" occluded="0" points="10,5;20,5;20,25;10,25" z_order="1"/>
  <polygon label="wall" source="manual" occluded="0" points="2,2;38,2;38,28;2,28" z_order="0"/>
  <box label="door" source="manual" occluded="0" xtl="30" ytl="20" xbr="36" ybr="26" z_order="0"/>
  <polyline label="wall" source="manual" occluded="0" points="1,1;5,5" z_order="0"/>
  {extra}
 </image>
</annotations>
"""


def write_export(tmp_path, extra=""):
    write_png(tmp_path / "images" / "a.png", np.zeros((30, 40, 3), np.uint8))
    path = tmp_path / "annotations.xml"
    path.write_text(XML.format(extra=extra))
    return path


def test_polygons_z_order_and_boxes_when_asked(tmp_path):
    path = write_export(tmp_path)
    read = read_cvat(path, tmp_path / "images")
    assert not read.problems and read.class_names() == ["background", "wall", "door"]
    label = rasterise(read.images[0], read.class_ids())
    assert label[15, 15] == 2 and label[3, 3] == 1 and label[0, 0] == 0
    assert label[23, 33] == 1        # the box is left out unless asked ...
    boxed = read_cvat(path, tmp_path / "images", boxes=True)
    assert rasterise(boxed.images[0], boxed.class_ids())[23, 33] == 2   # ... and painted when asked


def test_a_larger_region_in_front_by_z_order_covers_a_smaller_one(tmp_path):
    path = write_export(tmp_path, '<polygon label="wall" source="manual" occluded="0" '
                                  'points="0,0;40,0;40,30;0,30" z_order="5"/>')
    read = read_cvat(path, tmp_path / "images")
    assert (rasterise(read.images[0], read.class_ids()) == 1).all()


@pytest.mark.parametrize("extra, expected", [
    ('<polygon label="wall" points="1,1;4,4" z_order="0"/>', "a polygon of 2 points"),
    ('<mask label="wall" rle="3, 4" left="0" top="0" width="3" height="3" z_order="0"/>', "its runs cover 7 pixels"),
    ('<mask label="wall" rle="0, 9" left="39" top="0" width="3" height="3" z_order="0"/>', "passes the 40x30 image"),
    ('<polygon label="window" points="1,1;4,4;1,4" z_order="0"/>', "label 'window' is not among the file's labels"),
])
def test_each_broken_shape_is_one_line_naming_file_image_and_shape(tmp_path, extra, expected):
    path = write_export(tmp_path, extra)
    problems = read_cvat(path, tmp_path / "images").problems
    assert len(problems) == 1 and expected in problems[0]
    assert problems[0].startswith(f"{path}: image 'frames/a.png', ")


def test_a_file_that_is_not_cvat_xml_is_named(tmp_path):
    (tmp_path / "x.xml").write_text("<project/>")
    with pytest.raises(DataError, match="x.xml: not a CVAT for images XML"):
        read_cvat(tmp_path / "x.xml", tmp_path)
    (tmp_path / "y.xml").write_text("<annotations")
    with pytest.raises(DataError, match="y.xml: not an XML file"):
        read_cvat(tmp_path / "y.xml", tmp_path)


def test_pre_annotations_read_back_as_the_label_map(tmp_path):
    rng = np.random.default_rng(2)
    label = np.zeros((30, 40), np.uint8)
    label[3:27, 3:37] = 1
    label[8:12, 8:12] = 0                       # a hole: written as a mask
    label[15:25, 20:30] = 2
    label[rng.random(label.shape) < 0.02] = 2   # specks
    text = cvat_xml([PredictedImage("a.png", label)], ["background", "wall", "door"])
    assert "<mask " in text and "<polygon " in text and 'source="auto"' in text
    write_png(tmp_path / "images" / "a.png", np.zeros((30, 40, 3), np.uint8))
    (tmp_path / "pred.xml").write_text(text)
    read = read_cvat(tmp_path / "pred.xml", tmp_path / "images")
    assert not read.problems and np.array_equal(rasterise(read.images[0], read.class_ids()), label)


def test_a_turned_box_and_an_ellipse_are_painted_where_cvat_draws_them(tmp_path):
    extra = ('<box label="door" xtl="10" ytl="14" xbr="30" ybr="16" rotation="90" z_order="2"/>'   # centre (20, 15)
             '<ellipse label="door" cx="6" cy="24" rx="3" ry="2" z_order="2"/>')
    read = read_cvat(write_export(tmp_path, extra), tmp_path / "images", boxes=True)
    label = rasterise(read.images[0], read.class_ids())
    assert label[7, 20] == 2 and label[15, 27] == 1   # turned upright: (20, 7) inside it, (27, 15) no longer
    assert label[24, 6] == 2


def test_an_image_whose_size_is_not_a_number_is_a_problem_line(tmp_path):
    path = write_export(tmp_path)
    path.write_text(path.read_text().replace('width="40"', 'width="forty"'))
    problems = read_cvat(path, tmp_path / "images").problems
    assert len(problems) == 1 and "width and height are not whole numbers above 0 ('forty', '30')" in problems[0]
