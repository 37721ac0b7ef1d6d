"""data.format=voc: the VOCdevkit layout, palette masks with 255 borders, any number of classes."""
import json

import numpy as np
import pytest
from PIL import Image

from unetkit.config import load_config
from unetkit.data import find_samples, load_samples
from unetkit.errors import ConfigError, DataError
from unetkit.viz.palette import voc_palette

from ..conftest import SHARED_DATA


def make_voc(root, ids_per_split=None, size=40, num_classes=3, palette=True):
    """A VOCdevkit/VOC2012 folder: JPEG images, palette (or index) masks with 255 object borders."""
    year = root / "VOCdevkit" / "VOC2012"
    for folder in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (year / folder).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    ids_per_split = ids_per_split or {"train": 4, "val": 2, "test": 2}
    counter = 0
    for split, count in ids_per_split.items():
        ids = []
        for _ in range(count):
            counter += 1
            sample_id = f"2007_{counter:06d}"
            label = np.zeros((size, size), np.uint8)
            for class_id in range(1, num_classes):
                top, left = rng.integers(0, size - 12, 2)
                label[top:top + 12, left:left + 12] = class_id
            border = label.copy()
            border[1:-1, 1:-1][(label[1:-1, 1:-1] != label[:-2, 1:-1]) | (label[1:-1, 1:-1] != label[1:-1, :-2])] = 255
            image = (np.stack([label * 60, 200 - label * 50, label * 20 + 40], axis=2)
                     + rng.integers(0, 25, (size, size, 3))).astype(np.uint8)
            Image.fromarray(image).save(year / "JPEGImages" / f"{sample_id}.jpg", quality=95)
            mask = Image.fromarray(border, mode="P" if palette else "L")
            if palette:
                mask.putpalette(voc_palette().reshape(-1).tolist())
            mask.save(year / "SegmentationClass" / f"{sample_id}.png")
            ids.append(sample_id)
        (year / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("\n".join(ids) + "\n")
    return root / "VOCdevkit"


def _data(root, *extra, classes=3):
    return load_config(None, [f"data.root={root}", "data.format=voc", "data.mask=index",
                              f"data.num_classes={classes}", *extra]).data


def test_splits_come_from_the_image_sets(tmp_path):
    root = make_voc(tmp_path)
    data = _data(root)
    assert [s.name for s in find_samples(data, "val")] == ["2007_000005", "2007_000006"]
    samples = load_samples(find_samples(data, "train"), data)
    assert len(samples) == 4 and samples[0].image.shape == (40, 40, 3)
    assert set(np.unique(samples[0].label)) <= {0, 1, 2, 255} and (samples[0].label == 255).any()


def test_class_index_masks_work_too(tmp_path):
    data = _data(make_voc(tmp_path, palette=False))
    label = load_samples(find_samples(data, "train"), data)[0].label
    assert {1, 2} <= set(np.unique(label))


def test_voc_names_for_21_classes():
    config = load_config(None, ["data.root=/x", "data.format=voc", "data.mask=index", "data.num_classes=21"])
    assert config.data.class_names[:3] == ["background", "aeroplane", "bicycle"]
    assert config.data.class_names[-1] == "tvmonitor"


def test_missing_listed_file_and_wrong_mask_mode_are_one_line_errors(tmp_path):
    root = make_voc(tmp_path)
    (root / "VOC2012" / "SegmentationClass" / "2007_000002.png").unlink()
    with pytest.raises(DataError, match=r"2007_000002\.png: listed in train\.txt but not found"):
        find_samples(_data(root), "train")
    with pytest.raises(ConfigError, match="data.mask=index"):
        load_config(None, [f"data.root={root}", "data.format=voc"])
    (root / "VOC2007" / "JPEGImages").mkdir(parents=True)
    with pytest.raises(DataError, match="holds VOC2007, VOC2012; set data.root to one of them"):
        find_samples(_data(root), "train")


@pytest.mark.skipif(not (SHARED_DATA / "rock_voc").is_dir(), reason="needs ../shared/data/rock_voc")
def test_real_rock_voc_loads():
    data = _data(SHARED_DATA / "rock_voc", "data.channels=1", classes=4)
    files = find_samples(data, "test")
    assert len(files) == 26
    sample = load_samples(files[:2], data)[0]
    assert sample.image.shape == (256, 256, 1) and set(np.unique(sample.label)) <= {0, 1, 2, 3}


def test_encoder_unet_trains_evaluates_and_predicts_on_voc_data(capsys, tmp_path):
    from unetkit.cli import main
    root = make_voc(tmp_path / "data")
    run = tmp_path / "run"
    common = [f"data.root={root}", "data.format=voc", "data.mask=index", "data.num_classes=3",
              "data.class_names=background,square,patch"]
    assert main(["train", "--out", str(run), *common, "model.name=resnet18_unet", "model.up=bilinear",
                 "data.patch_size=32", "data.patches_per_epoch=8", "train.batch_size=4", "train.epochs=2",
                 "train.progress=false", "train.precision=fp32", "train.monitor=miou"]) == 0
    capsys.readouterr()
    report = tmp_path / "report"
    assert main(["evaluate", "--checkpoint", str(run / "best.pt"), "--split", "test", "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "square" in out and "patch" in out and "mPrecision" in out and "recall" in out
    written = json.loads((report / "metrics.json").read_text())
    assert set(written["iou_per_class"]) == {"background", "square", "patch"}
    assert np.array(written["confusion_matrix"]).shape == (3, 3)
    for name in ("iou", "recall", "precision", "f1", "confusion_matrix"):
        with Image.open(report / f"{name}.png") as chart:
            assert chart.size[0] > 200 and chart.size[1] > 100
    images = root / "VOC2012" / "JPEGImages"
    assert main(["predict", "--checkpoint", str(run / "best.pt"), str(images), "--out", str(tmp_path / "p"),
                 "--overlay"]) == 0
    label = np.asarray(Image.open(tmp_path / "p" / "2007_000001.png"))
    assert label.shape == (40, 40) and set(np.unique(label)) <= {0, 1, 2}


def test_k_folds_over_the_train_list(tmp_path):
    """VOC-form data (issue 16): folds over train.txt's ids; a fold's held-out ids replace val.txt."""
    from unetkit.data import FORMATS
    data = _data(make_voc(tmp_path, {"train": 6, "val": 2, "test": 1}))
    folds = FORMATS["voc"].folds(data, 3)
    train_ids = [s.name for s in find_samples(data, "train")]
    held_out = [fold.held_out for fold in folds]
    assert sorted(i for group in held_out for i in group) == sorted(train_ids) and all(len(g) == 2 for g in held_out)
    fold = folds[0].data
    assert [s.name for s in find_samples(fold, "val")] == held_out[0]
    assert sorted(s.name for s in find_samples(fold, "train")) == sorted(set(train_ids) - set(held_out[0]))
    assert [s.name for s in find_samples(fold, "test")] == ["2007_000009"]
    assert FORMATS["voc"].folds(data, 3)[1].held_out == held_out[1]   # seeded: the same every time
