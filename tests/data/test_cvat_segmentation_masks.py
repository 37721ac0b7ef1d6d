"""CVAT's "Segmentation mask 1.1" export (issue 44): the VOC layout with colour masks named by labelmap.txt and,
for a task without subsets, ImageSets/Segmentation/default.txt; found, named and split without a setting."""
import numpy as np

from unetkit.cli import main
from unetkit.config import DataConfig
from unetkit.data import find_samples
from unetkit.data.formats import FORMATS, detect_format
from unetkit.data.io import MaskReading
from unetkit.train.plan import make_plan

from ..conftest import write_png
from .annotations.exports import CLASSES, scene_image, scene_label

COLOURS = [(0, 0, 0), (250, 50, 83), (51, 221, 255), (36, 179, 83)]   # CVAT's own label colours


def write_cvat_segmentation_export(root, count=10):
    (root / "ImageSets" / "Segmentation").mkdir(parents=True)
    (root / "labelmap.txt").write_text("# label:color_rgb:parts:actions\n" + "".join(
        f"{name}:{','.join(map(str, colour))}::\n" for name, colour in zip(CLASSES, COLOURS, strict=True)))
    names = []
    for index in range(count):
        label = scene_label(index)
        write_png(root / "JPEGImages" / f"frame_{index:06d}.png", scene_image(label, index))
        write_png(root / "SegmentationClass" / f"frame_{index:06d}.png", np.asarray(COLOURS, np.uint8)[label])
        names.append(f"frame_{index:06d}")
    (root / "ImageSets" / "Segmentation" / "default.txt").write_text("\n".join(names) + "\n")
    return {name: scene_label(index) for index, name in enumerate(names)}


def test_cvats_segmentation_mask_export_is_read_as_voc_with_its_labelmap(tmp_path, capsys):
    labels = write_cvat_segmentation_export(tmp_path / "cvat")
    assert detect_format(tmp_path / "cvat") == "voc"
    plan = make_plan([f"data.root={tmp_path / 'cvat'}"], probe=False)
    data = plan.config.data
    assert data.class_names == CLASSES and [list(c) for c in data.colors] == [list(c) for c in COLOURS]
    settled = FORMATS["voc"].settle(data)   # what training stores: default.txt holds every frame, 10% held out
    train, val = find_samples(data, "train"), find_samples(data, "val")
    assert len(train) == 9 and [s.name for s in val] == settled.val_images and len(val) == 1
    reading = MaskReading.from_data(data)
    for sample in train[:3]:
        assert np.array_equal(reading.read(sample.mask), labels[sample.name])
    assert main(["inspect", str(tmp_path / "cvat")]) == 0
    assert "named by labelmap.txt" in capsys.readouterr().out


def test_a_voc_layout_with_train_txt_keeps_its_lists(tmp_path):
    write_cvat_segmentation_export(tmp_path / "voc", count=4)
    lists = tmp_path / "voc" / "ImageSets" / "Segmentation"
    (lists / "default.txt").rename(lists / "train.txt")
    data = DataConfig(format="voc", root=str(tmp_path / "voc"), mask="index")
    assert len(find_samples(data, "train")) == 4   # no val.txt: no automatic hold-out for VOC itself
