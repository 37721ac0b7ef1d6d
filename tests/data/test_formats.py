from pathlib import Path

import numpy as np
import pytest
import tifffile

from unetkit.config import load_config
from unetkit.data import FORMATS, find_samples, load_samples
from unetkit.data.formats import parse_slices
from unetkit.errors import DataError

from ..conftest import SHARED_DATA, write_png


def _config(root, fmt, *extra):
    return load_config(None, [f"data.root={root}", f"data.format={fmt}", *extra]).data


def test_folder_layout_matches_by_stem(synthetic_root):
    samples = find_samples(_config(synthetic_root, "folder"), "train")
    assert len(samples) == 4
    assert all(s.mask.stem == s.image.stem and s.roi.stem == s.image.stem for s in samples)


def test_folder_unpaired_images_are_named_and_left_out(tmp_path, caplog):
    for name in ("a", "b"):
        write_png(tmp_path / f"train/images/{name}.png", np.zeros((8, 8), np.uint8))
    write_png(tmp_path / "train/masks/a.png", np.zeros((8, 8), np.uint8))
    write_png(tmp_path / "val/images/c.png", np.zeros((8, 8), np.uint8))
    write_png(tmp_path / "val/masks/zz.png", np.zeros((8, 8), np.uint8))
    with caplog.at_level("WARNING"):
        assert [s.name for s in find_samples(_config(tmp_path, "folder"), "train")] == ["a"]
    assert "1 of 2 images have no mask and are left out: b.png" in caplog.text
    with pytest.raises(DataError, match=r"val: no image has a mask \(1 images; .*c\.png: no mask file named c\.\* in"):
        find_samples(_config(tmp_path, "folder"), "val")


@pytest.mark.parametrize(("image", "mask", "suffix"), [
    ("ISIC_0000001.jpg", "ISIC_0000001_segmentation.png", ""),
    ("ISIC_0000001.jpg", "ISIC_0000001_segmentation.png", "_segmentation"),
    ("01_test.tif", "01_manual1.gif", ""),
    ("01_test.tif", "01_manual1.gif", "_manual1"),
    ("case-7.png", "case-7_mask.png", "_mask"),
    ("scan.png", "scan.png", ""),
])
def test_common_naming_schemes_pair(tmp_path, image, mask, suffix):
    from unetkit.data.formats import find_partner
    write_png(tmp_path / "masks" / mask, np.zeros((4, 4), np.uint8))
    write_png(tmp_path / "masks" / "99_other_mask.png", np.zeros((4, 4), np.uint8))   # a neighbour, not a match
    found = find_partner(tmp_path / "masks", Path(image).stem, tmp_path / image, "mask", suffix)
    assert found.name == mask


def test_isic_style_folder_trains_its_pairs(tmp_path):
    for index in range(3):
        write_png(tmp_path / f"train/images/ISIC_{index:07d}.jpg", np.zeros((8, 8, 3), np.uint8))
        write_png(tmp_path / f"train/masks/ISIC_{index:07d}_segmentation.png", np.zeros((8, 8), np.uint8))
    samples = find_samples(_config(tmp_path, "folder", "data.mask_suffix=_segmentation"), "train")
    assert all(s.mask.name == f"{s.name}_segmentation.png" for s in samples)


def test_without_val_folder_a_fraction_of_train_is_held_out(tmp_path):
    for index in range(20):
        write_png(tmp_path / f"train/images/{index:02d}.png", np.zeros((8, 8), np.uint8))
        write_png(tmp_path / f"train/masks/{index:02d}.png", np.zeros((8, 8), np.uint8))
    config = _config(tmp_path, "folder", "data.val_fraction=0.15")
    train, val = find_samples(config, "train"), find_samples(config, "val")
    assert len(val) == 3 and len(train) == 17 and not {s.name for s in train} & {s.name for s in val}
    assert [s.name for s in find_samples(config, "val")] == [s.name for s in val]   # the same every time
    settled = FORMATS["folder"].settle(config)
    assert settled.val_images == sorted(s.name for s in val)
    (tmp_path / "val").mkdir()
    assert FORMATS["folder"].settle(config).val_images == []   # an explicit val/ folder wins


def _make_drive(root, ids, kind, size=(12, 10)):
    folder = root / ("training" if kind == "training" else "test")
    for number in ids:
        write_png(folder / "images" / f"{number}_{kind}.png", np.zeros((*size, 3), np.uint8))
        write_png(folder / "1st_manual" / f"{number}_manual1.gif", np.zeros(size, np.uint8))
        roi = np.zeros(size, np.uint8)
        roi[2:-2, 2:-2] = 255
        write_png(folder / "mask" / f"{number}_{kind}_mask.gif", roi)


def test_drive_layout_holds_out_validation_ids(tmp_path):
    _make_drive(tmp_path, ["21", "22", "23"], "training")
    _make_drive(tmp_path, ["01", "02"], "test")
    config = _config(tmp_path, "drive", "data.val_images=23")
    assert [s.name for s in find_samples(config, "train")] == ["21_training", "22_training"]
    assert [s.name for s in find_samples(config, "val")] == ["23_training"]
    assert [s.name for s in find_samples(config, "test")] == ["01_test", "02_test"]
    sample = load_samples(find_samples(config, "val"), config)[0]
    # outside the field of view the label is the ignore index
    assert sample.label[0, 0] == 255 and sample.label[5, 5] == 0


def test_drive_missing_fov_mask(tmp_path):
    _make_drive(tmp_path, ["21"], "training")
    (tmp_path / "training/mask/21_training_mask.gif").unlink()
    with pytest.raises(DataError, match="21_training.png: field-of-view mask .* not found"):
        find_samples(_config(tmp_path, "drive"), "train")


def test_isbi_slices_and_stack(tmp_path):
    for i in range(6):
        write_png(tmp_path / f"train/images/{i:02d}.png", np.full((8, 8), i, np.uint8))
        write_png(tmp_path / f"train/labels/{i:02d}.png", np.full((8, 8), 255 * (i % 2), np.uint8))
    config = _config(tmp_path, "isbi", "data.train_slices=0-3", "data.val_slices=4,5")
    assert [s.name for s in find_samples(config, "train")] == ["00", "01", "02", "03"]
    val = load_samples(find_samples(config, "val"), config)
    assert [int(v.label.max()) for v in val] == [0, 1]
    with pytest.raises(DataError, match="never published"):
        find_samples(config, "test")

    stack_root = tmp_path / "stack"
    stack_root.mkdir()
    tifffile.imwrite(stack_root / "train-volume.tif", np.stack([np.full((8, 8), i, np.uint8) for i in range(5)]),
                     photometric="minisblack")
    tifffile.imwrite(stack_root / "train-labels.tif", np.stack([np.full((8, 8), 255, np.uint8)] * 5), photometric="minisblack")
    config = _config(stack_root, "isbi", "data.train_slices=0-2", "data.val_slices=3-4", "data.channels=1")
    val = load_samples(find_samples(config, "val"), config)
    assert [int(v.image[0, 0, 0]) for v in val] == [3, 4] and all(v.label.all() for v in val)


def test_parse_slices():
    assert parse_slices("0-2, 5,7-8") == [0, 1, 2, 5, 7, 8]
    with pytest.raises(DataError, match="must look like"):
        parse_slices("a-b")


def test_size_mismatch_names_the_file(tmp_path):
    write_png(tmp_path / "train/images/a.png", np.zeros((8, 8), np.uint8))
    write_png(tmp_path / "train/masks/a.png", np.zeros((8, 9), np.uint8))
    config = _config(tmp_path, "folder")
    with pytest.raises(DataError, match=r"masks/a\.png: mask is 9x8 but image a\.png is 8x8"):
        load_samples(find_samples(config, "train"), config)


@pytest.mark.skipif(not (SHARED_DATA / "drive").is_dir(), reason="needs ../shared/data/drive")
def test_real_drive_pair_loads():
    config = _config(SHARED_DATA / "drive", "drive", "data.val_images=40")
    sample = load_samples(find_samples(config, "val"), config)[0]
    assert sample.image.shape == (584, 565, 3)
    inside = sample.label[sample.roi]
    assert set(np.unique(inside)) == {0, 1} and 0.05 < inside.mean() < 0.25
    assert (sample.label[~sample.roi] == 255).all()


@pytest.mark.skipif(not (SHARED_DATA / "isbi2012").is_dir(), reason="needs ../shared/data/isbi2012")
def test_real_isbi_slice_loads():
    config = _config(SHARED_DATA / "isbi2012", "isbi", "data.val_slices=29", "data.channels=1")
    sample = load_samples(find_samples(config, "val"), config)[0]
    assert sample.image.shape == (512, 512, 1) and 0.5 < sample.label.mean() < 0.95


def test_partner_by_stem_prefix(tmp_path):
    from unetkit.data.formats import find_partner
    write_png(tmp_path / "mask/01_test_mask.gif", np.zeros((4, 4), np.uint8))
    assert find_partner(tmp_path / "mask", "01_test", tmp_path / "01_test.tif", "roi").name == "01_test_mask.gif"
    write_png(tmp_path / "mask/01_test_other.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(DataError, match="several roi files start with 01_test_ .*set data.mask_suffix"):
        find_partner(tmp_path / "mask", "01_test", tmp_path / "01_test.tif", "roi")


def test_each_layout_is_detected(tmp_path, synthetic_root):
    from unetkit.data.formats import detect_format
    assert detect_format(synthetic_root) == "folder"       # written by the synthetic format, read as a folder
    for folder in ("training/images", "training/1st_manual", "training/mask"):
        (tmp_path / "drive" / folder).mkdir(parents=True)
    for folder in ("train/images", "train/labels"):
        (tmp_path / "isbi" / folder).mkdir(parents=True)
    for folder in ("VOC2012/JPEGImages", "VOC2012/SegmentationClass", "VOC2012/ImageSets/Segmentation"):
        (tmp_path / "voc" / folder).mkdir(parents=True)
    assert [detect_format(tmp_path / name) for name in ("drive", "isbi", "voc")] == ["drive", "isbi", "voc"]
    (tmp_path / "photos").mkdir()
    with pytest.raises(DataError, match="not a dataset layout unetkit knows .*folder: train/images"):
        detect_format(tmp_path / "photos")


@pytest.mark.skipif(not (SHARED_DATA / "rock_voc").is_dir(), reason="needs ../shared/data")
def test_the_shared_datasets_are_detected():
    from unetkit.data.formats import detect_format
    assert [detect_format(SHARED_DATA / name) for name in ("drive", "isbi2012", "rock_voc")] == ["drive", "isbi", "voc"]


def test_isic_config_trains_on_isic_named_files(tmp_path):
    """configs/isic.yaml as shipped (Dice, plateau schedule, letterbox), on made-up ISIC-named data."""
    from unetkit.config import load_config
    from unetkit.train import train
    rng = np.random.default_rng(0)
    for index in range(6):
        image = rng.integers(0, 255, (40, 52, 3), dtype=np.uint8)
        lesion = np.zeros((40, 52), np.uint8)
        lesion[10:30, 12:40] = 255
        write_png(tmp_path / f"data/train/images/ISIC_{index:07d}.jpg", image)
        write_png(tmp_path / f"data/train/masks/ISIC_{index:07d}_segmentation.png", lesion)
    config = load_config(Path(__file__).parents[2] / "configs" / "isic.yaml",
                         [f"data.root={tmp_path / 'data'}", "data.patch_size=32", "data.patches_per_epoch=8",
                          "model.base_channels=4", "model.depth=2", "train.epochs=2", "train.batch_size=4",
                          "train.progress=false", "train.precision=fp32", "infer.size=32"])
    result = train(config, tmp_path / "run")
    assert config.train.schedule == "plateau" and config.train.loss == "dice" and result["epochs"] == 2
    assert "dice" in result["metrics"]
