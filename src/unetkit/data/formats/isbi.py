"""ISBI 2012: train/images + train/labels slices (or train-volume.tif + train-labels.tif stacks).

Labels are 255 for cell interior (foreground), 0 for membrane. train and val are slice subsets of
the labelled training stack; test is the unlabelled test stack. Scored with the challenge's pixel
and Rand errors besides the usual metrics; k-fold training splits the slices.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ...config import DataConfig
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


@register_format
class IsbiFormat(DataFormat):
    """data.train_slices / data.val_slices split the labelled stack (default 0-24 / 25-29)."""
    name = "isbi"
    extra_metrics = ("pixel_error", "rand_error")
    layout = "train/images + train/labels slices, or train-volume.tif + train-labels.tif (ISBI 2012)"

    def recognises(self, root: Path) -> bool:
        return ((root / "train-volume.tif").is_file() and (root / "train-labels.tif").is_file()) or (
            (root / "train" / "images").is_dir() and (root / "train" / "labels").is_dir())

    def find(self, root: Path, split: str, data: DataConfig, need_masks: bool) -> list[SampleFiles]:
        return isbi_samples(root, split, data.train_slices, data.val_slices, need_masks)

    def folds(self, data: DataConfig, count: int) -> list[Fold]:
        """Each fold holds out one contiguous group of all the labelled slices (train + val)."""
        slices = sorted(set(parse_slices(data.train_slices)) | set(parse_slices(data.val_slices)))
        return [Fold("val_slices", held_out,
                     dataclasses.replace(data, val_slices=",".join(map(str, held_out)),
                                         train_slices=",".join(str(s) for s in slices if s not in held_out)))
                for held_out in fold_slices(slices, count)]
