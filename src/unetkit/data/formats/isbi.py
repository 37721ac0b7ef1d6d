"""ISBI 2012: train/images + train/labels slices (or train-volume.tif + train-labels.tif stacks).

Labels are 255 for cell interior (foreground), 0 for membrane. train and val are slice subsets of
the labelled training stack; test is the unlabelled test stack. Scored with the challenge's pixel
and Rand errors besides the usual metrics; k-fold training splits the slices.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...config import DataConfig, option, options_of
from ...errors import ConfigError, DataError
from ..io import count_pages
from .base import (
    DataFormat,
    Fold,
    SampleFiles,
    find_partner,
    images_in,
    register_format,
)


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


def fold_slices(slices: list[int], folds: int) -> list[list[int]]:
    """Split slice indices into `folds` contiguous, nearly equal held-out groups."""
    if not 2 <= folds <= len(slices):
        raise ConfigError(f"--folds must be between 2 and the number of slices ({len(slices)})")
    return [[int(s) for s in group] for group in np.array_split(np.array(slices), folds)]


def isbi_samples(root: Path, split: str, train_slices: str, val_slices: str, need_masks: bool) -> list[SampleFiles]:
    stack_images, stack_labels = root / "train-volume.tif", root / "train-labels.tif"
    if split == "test":
        test_stack = root / "test-volume.tif"
        if test_stack.is_file():
            return [SampleFiles(f"{i:02d}", test_stack, page=i) for i in range(count_pages(test_stack))]
        if need_masks:
            raise DataError(f"{root / 'test'}: ISBI 2012 test labels were never published; "
                            f"score held-out training slices with --split val")
        return [SampleFiles(p.stem, p) for p in images_in(root / "test" / "images")]
    wanted = parse_slices(train_slices if split == "train" else val_slices)
    if stack_images.is_file():
        pages = count_pages(stack_images)
        labels = stack_labels if stack_labels.is_file() else None
        if need_masks and labels is None:
            raise DataError(f"{stack_images}: label stack {stack_labels} not found")
        chosen = [i for i in wanted if i < pages]
        return [SampleFiles(f"{i:02d}", stack_images, labels, page=i) for i in chosen]
    images = images_in(root / "train" / "images")
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


def _is_slice_list(text: str) -> bool:
    try:
        return len(parse_slices(text)) < 100_000   # '0-99999999999' would build a huge list later
    except DataError:
        return False


SLICE_LIST = (_is_slice_list, "a slice list such as 0-24 or 0,3,5-7")


@dataclass
class IsbiOptions:
    """data.isbi.*: which slices of the labelled stack train and which are held out."""
    LEGACY_KEYS = {"data.train_slices": "train_slices", "data.val_slices": "val_slices"}
    train_slices: str = option("0-24", "slices used for training (e.g. 0-24, or 0,2,4-9)", SLICE_LIST)
    val_slices: str = option("25-29", "held-out slices scored by validation and evaluate", SLICE_LIST)


@register_format
class IsbiFormat(DataFormat):
    """data.isbi.train_slices / data.isbi.val_slices split the labelled stack (default 0-24 / 25-29)."""
    name = "isbi"
    options = IsbiOptions
    extra_metrics = ("pixel_error", "rand_error")
    layout = "train/images + train/labels slices, or train-volume.tif + train-labels.tif (ISBI 2012)"

    def recognises(self, root: Path) -> bool:
        return ((root / "train-volume.tif").is_file() and (root / "train-labels.tif").is_file()) or (
            (root / "train" / "images").is_dir() and (root / "train" / "labels").is_dir())

    def find(self, root: Path, split: str, data: DataConfig, need_masks: bool) -> list[SampleFiles]:
        slices = options_of(data, self.name)
        return isbi_samples(root, split, slices.train_slices, slices.val_slices, need_masks)

    def folds(self, data: DataConfig, count: int) -> list[Fold]:
        """Each fold holds out one contiguous group of all the labelled slices (train + val)."""
        given = options_of(data, self.name)
        slices = sorted(set(parse_slices(given.train_slices)) | set(parse_slices(given.val_slices)))
        return [Fold("val_slices", held_out, dataclasses.replace(data, pieces={**data.pieces, self.name: IsbiOptions(
                    train_slices=",".join(str(s) for s in slices if s not in held_out),
                    val_slices=",".join(map(str, held_out)))}))
                for held_out in fold_slices(slices, count)]
