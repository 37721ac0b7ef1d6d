"""What training would stop on is found by the fingerprint, named by file (issue 43): `inspect` lists every
problem and exits 2, `train` stops on the first in the same words and leaves no run folder; a clean dataset
has none."""
import numpy as np
import pytest
from PIL import Image

from unetkit.cli import main
from unetkit.config import DataConfig
from unetkit.data.fingerprint import fingerprint_dataset


def _dataset(root, train_mask=lambda m: m * 255, val_mask=lambda m: m * 255, mask_size=(48, 64)):
    rng = np.random.default_rng(0)
    for split, count, encode in (("train", 4, train_mask), ("val", 2, val_mask)):
        for index in range(count):
            (root / split / "images").mkdir(parents=True, exist_ok=True)
            (root / split / "masks").mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(
                root / split / "images" / f"{split}_{index}.png")
            mask = np.zeros(mask_size, np.uint8)
            mask[10:30, 10:30] = 1
            Image.fromarray(encode(mask)).save(root / split / "masks" / f"{split}_{index}.png")
    return root


def _problems(root):
    return fingerprint_dataset(DataConfig(root=str(root), format="folder")).problems


def test_a_clean_dataset_has_no_problems(tmp_path):
    assert _problems(_dataset(tmp_path)) == []


def test_a_truncated_image_is_named(tmp_path):
    root = _dataset(tmp_path)
    image = root / "train" / "images" / "train_2.png"
    image.write_bytes(image.read_bytes()[:200])   # the header survives, the pixels do not
    problems = _problems(root)
    assert len(problems) == 1 and str(image) in problems[0] and "unreadable" in problems[0]


def test_a_mask_of_another_size_is_named_with_both_sizes(tmp_path):
    root = _dataset(tmp_path)
    mask = root / "val" / "masks" / "val_1.png"
    Image.fromarray(np.zeros((40, 60), np.uint8)).save(mask)
    (problem,) = _problems(root)
    assert str(mask) in problem and "60x40" in problem and "64x48" in problem


def test_splits_encoded_differently_are_found(tmp_path):
    root = _dataset(tmp_path, train_mask=lambda m: m * 255, val_mask=lambda m: m)
    (problem,) = _problems(root)
    assert "train masks hold values 0, 255" in problem and "val masks 0, 1" in problem


def _labels_16_bit(mask):
    labels = mask.astype(np.uint16) * 1000
    labels[:5, :5] = 2000
    return labels


def test_sixteen_bit_masks_are_named_not_a_class_count(tmp_path):
    """Values 0, 1000, 2000 (a 16-bit label image): named by file; 0/65535 stays a binary mask (below)."""
    root = _dataset(tmp_path, val_mask=_labels_16_bit)
    problems = _problems(root)
    assert len(problems) == 2 and all("up to 2000" in p and "val_" in p for p in problems)


@pytest.mark.parametrize("damage", ["truncated", "sixteen_bit"])
def test_inspect_lists_them_and_train_stops_in_the_same_words(tmp_path, capsys, damage):
    root = _dataset(tmp_path / "data", val_mask=_labels_16_bit if damage == "sixteen_bit"
                    else (lambda m: m * 255))
    if damage == "truncated":
        image = root / "train" / "images" / "train_0.png"
        image.write_bytes(image.read_bytes()[:200])
    assert main(["inspect", str(root)]) == 2
    report = capsys.readouterr().out
    listed = [line.removeprefix("problem").strip() for line in report.splitlines() if line.startswith("problem")]
    assert listed and "would stop on" in report
    out = tmp_path / "run"
    assert main(["train", f"data.root={root}", "--out", str(out)]) == 2
    said = capsys.readouterr().err.strip()
    assert said.startswith(f"unetkit: error: {listed[0]}")
    assert not out.exists()


def test_what_training_reads_fine_is_no_problem(tmp_path):
    """Review of issue 43: a photo turned by its EXIF tag beside an upright mask, 16-bit binary masks
    (0/65535), a small val split of other classes, and a broken test image (training never reads test/)."""
    root = _dataset(tmp_path, train_mask=lambda m: m.astype(np.uint16) * 65535,
                    val_mask=lambda m: m.astype(np.uint16) * 65535)
    assert _problems(root) == []
    photo = root / "train" / "images" / "train_1.png"
    turned = Image.fromarray(np.zeros((64, 48, 3), np.uint8))   # stored 48 wide, 64 high; upright 64x48
    exif = Image.Exif()
    exif[0x0112] = 6
    photo.unlink()
    turned.save(photo.with_suffix(".jpg"), exif=exif)
    (root / "test" / "images").mkdir(parents=True)
    (root / "test" / "masks").mkdir(parents=True)
    (root / "test" / "images" / "t.png").write_bytes(b"broken")
    Image.fromarray(np.zeros((48, 64), np.uint8)).save(root / "test" / "masks" / "t.png")
    assert _problems(root) == []


def test_multi_class_splits_with_other_classes_are_no_problem(tmp_path):
    root = _dataset(tmp_path, train_mask=lambda m: m * 2, val_mask=lambda m: m * 4)
    for index in range(4):   # train holds classes 1 and 2, val only 4: a rare class, not another encoding
        mask = np.asarray(Image.open(root / "train" / "masks" / f"train_{index}.png")).copy()
        mask[40:44, 50:60] = 1
        Image.fromarray(mask).save(root / "train" / "masks" / f"train_{index}.png")
    assert _problems(root) == []
