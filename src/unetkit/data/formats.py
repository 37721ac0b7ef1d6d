"""Find the samples of a dataset split in each supported folder layout.

A layout only names files; reading and validating their contents is io.py's job.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..config import DataConfig
from ..errors import DataError
from .io import count_pages, is_image_file

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class SampleFiles:
    """The files of one sample. `page` selects a slice of a multi-page TIFF stack."""
    name: str
    image: Path
    mask: Path | None = None
    roi: Path | None = None
    page: int | None = None


def _images_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise DataError(f"{folder}: folder not found")
    images = sorted(p for p in folder.iterdir() if is_image_file(p))
    if not images:
        raise DataError(f"{folder}: no image files (.png, .jpg, .tif, .gif, ...)")
    return images


def find_partner(folder: Path, stem: str, image: Path, what: str) -> Path:
    """The file in `folder` named like `image`: the same stem, or else the only one whose stem starts
    with it plus '_' (DRIVE's 01_test.tif -> 01_test_mask.gif)."""
    matches = sorted(p for p in folder.glob(f"{stem}.*") if is_image_file(p))
    if not matches:
        matches = sorted(p for p in folder.glob(f"{stem}_*") if is_image_file(p))
        if len(matches) > 1:
            raise DataError(f"{image}: several {what} files start with {stem}_ in {folder}")
    if not matches:
        raise DataError(f"{image}: no {what} file named {stem}.* in {folder}")
    return matches[0]


def folder_samples(root: Path, split: str, need_masks: bool) -> list[SampleFiles]:
    """root/<split>/images/*, masks/<same stem>.*, optional roi/<same stem>.*"""
    split_dir = root / split
    images = _images_in(split_dir / "images")
    masks_dir, roi_dir = split_dir / "masks", split_dir / "roi"
    if need_masks and not masks_dir.is_dir():
        raise DataError(f"{masks_dir}: folder not found (each split needs images/ and masks/)")
    samples = []
    for image in images:
        mask = find_partner(masks_dir, image.stem, image, "mask") if masks_dir.is_dir() else None
        roi = find_partner(roi_dir, image.stem, image, "roi") if roi_dir.is_dir() else None
        samples.append(SampleFiles(image.stem, image, mask, roi))
    return samples


_DRIVE_ID = re.compile(r"^(\d+)_(training|test)$")


def drive_samples(root: Path, split: str, val_images: list[str], need_masks: bool) -> list[SampleFiles]:
    """DRIVE as published: training/ (ids 21-40) and test/ (01-20); FOV mask = region of interest.

    `val_images` ids are held out of training/ and form the val split; test/ is the test split.
    """
    folder = root / ("test" if split == "test" else "training")
    held_out = {str(int(v)) for v in val_images}
    samples = []
    for image in _images_in(folder / "images"):
        match = _DRIVE_ID.match(image.stem)
        if not match:
            raise DataError(f"{image}: not a DRIVE image name (expected NN_training.tif or NN_test.tif)")
        number, kind = match.groups()
        if split == "train" and str(int(number)) in held_out:
            continue
        if split == "val" and str(int(number)) not in held_out:
            continue
        mask = folder / "1st_manual" / f"{number}_manual1.gif"
        roi = folder / "mask" / f"{number}_{kind}_mask.gif"
        if need_masks and not mask.is_file():
            raise DataError(f"{image}: vessel label {mask} not found")
        if not roi.is_file():
            raise DataError(f"{image}: field-of-view mask {roi} not found")
        samples.append(SampleFiles(image.stem, image, mask if mask.is_file() else None, roi))
    if split == "val" and held_out and not samples:
        raise DataError(f"{folder}: none of data.val_images {sorted(held_out)} found")
    return samples


def parse_slices(text: str) -> list[int]:
    """'0-24' or '0,3,5-7' -> sorted slice indices."""
    indices: set[int] = set()
    try:
        for part in str(text).split(","):
            part = part.strip()
            if not part:
                continue
            if "-" in part:
                first, last = (int(v) for v in part.split("-", 1))
                indices.update(range(first, last + 1))
            else:
                indices.add(int(part))
    except ValueError:
        raise DataError(f"slice list '{text}' must look like 0-24 or 0,3,5-7") from None
    return sorted(indices)


def isbi_samples(root: Path, split: str, train_slices: str, val_slices: str, need_masks: bool) -> list[SampleFiles]:
    """ISBI 2012: train/images + train/labels slices (or train-volume.tif + train-labels.tif stacks).

    Labels are 255 for cell interior (foreground), 0 for membrane. train and val are slice subsets of
    the labelled training stack; test is the unlabelled test stack.
    """
    stack_images, stack_labels = root / "train-volume.tif", root / "train-labels.tif"
    if split == "test":
        test_stack = root / "test-volume.tif"
        if test_stack.is_file():
            return [SampleFiles(f"{i:02d}", test_stack, page=i) for i in range(count_pages(test_stack))]
        if need_masks:
            raise DataError(f"{root / 'test'}: ISBI 2012 test labels were never published; "
                            f"score held-out training slices with --split val")
        return [SampleFiles(p.stem, p) for p in _images_in(root / "test" / "images")]
    wanted = parse_slices(train_slices if split == "train" else val_slices)
    if stack_images.is_file():
        pages = count_pages(stack_images)
        labels = stack_labels if stack_labels.is_file() else None
        if need_masks and labels is None:
            raise DataError(f"{stack_images}: label stack {stack_labels} not found")
        chosen = [i for i in wanted if i < pages]
        return [SampleFiles(f"{i:02d}", stack_images, labels, page=i) for i in chosen]
    images = _images_in(root / "train" / "images")
    if any(i >= len(images) for i in wanted):
        raise DataError(f"{root / 'train' / 'images'}: has {len(images)} slices, "
                        f"but slices up to {max(wanted)} were asked for")
    samples = []
    for index in wanted:
        image = images[index]
        labels_dir = root / "train" / "labels"
        mask = find_partner(labels_dir, image.stem, image, "label") if (need_masks or labels_dir.is_dir()) else None
        samples.append(SampleFiles(image.stem, image, mask))
    return samples


def find_samples(data: DataConfig, split: str, need_masks: bool = True) -> list[SampleFiles]:
    """List the samples of `split` for the configured dataset format."""
    if split not in SPLITS:
        raise DataError(f"unknown split '{split}' (choose from {', '.join(SPLITS)})")
    root = Path(data.root)
    if data.format == "synthetic":
        from .synthetic import ensure_synthetic_dataset
        root = ensure_synthetic_dataset(data)
    if not root.is_dir():
        raise DataError(f"{root}: dataset folder not found (data.root)")
    if data.format in ("folder", "synthetic"):
        return folder_samples(root, split, need_masks)
    if data.format == "drive":
        return drive_samples(root, split, data.val_images, need_masks)
    if data.format == "isbi":
        return isbi_samples(root, split, data.train_slices, data.val_slices, need_masks)
    raise DataError(f"unknown data.format '{data.format}'")
