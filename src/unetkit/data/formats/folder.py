"""The plain layout: root/<split>/images/*, masks/<matching name>.*, optional roi/<matching name>.*

Masks pair with images by stem (find_partner: also <stem><data.mask_suffix> and the common naming
schemes); an image without a mask is named in a warning and left out, and only a split with no pair
at all is an error. Without a val/ folder, data.val_fraction of train/ (at least one image, the same
ones every time for the same files) is held out for validation; `settle` writes their names into
data.val_images, which the run stores, so a resume and `evaluate --split val` use the same images.
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np

from ...config import DataConfig
from ...errors import ConfigError, DataError, UnetkitError
from .base import DataFormat, SampleFiles, find_partner, images_in, register_format

log = logging.getLogger(__name__)

SPLIT_SEED = 0   # the automatic validation split depends only on the file names


def pair_files(split_dir: Path, data: DataConfig) -> tuple[list[Path], list[SampleFiles], list[UnetkitError]]:
    """(images, the pairs found, an error per image without a mask or ROI) of `split_dir`."""
    images = images_in(split_dir / "images")
    masks_dir, roi_dir = split_dir / "masks", split_dir / "roi"
    samples, unpaired = [], []
    for image in images:
        try:
            mask = find_partner(masks_dir, image.stem, image, "mask", data.mask_suffix) if masks_dir.is_dir() else None
            roi = find_partner(roi_dir, image.stem, image, "roi", data.mask_suffix) if roi_dir.is_dir() else None
        except UnetkitError as error:
            unpaired.append(error)
            continue
        samples.append(SampleFiles(image.stem, image, mask, roi))
    return images, samples, unpaired


def paired_samples(split_dir: Path, data: DataConfig, need_masks: bool) -> list[SampleFiles]:
    """The images of `split_dir`/images with their masks (and ROIs); unpaired images are left out
    with a warning naming them, and a split without a single pair is a DataError."""
    masks_dir = split_dir / "masks"
    if need_masks and not masks_dir.is_dir():
        raise DataError(f"{masks_dir}: folder not found (each split needs images/ and masks/)")
    images, samples, unpaired = pair_files(split_dir, data)
    if unpaired and not samples:
        shown = "; ".join(str(e) for e in unpaired[:3])
        raise DataError(f"{split_dir}: no image has a mask ({len(unpaired)} images; {shown}"
                        f"{' ...' if len(unpaired) > 3 else ''})")
    if unpaired:
        log.warning("%s: %d of %d images have no mask and are left out: %s%s", split_dir, len(unpaired),
                    len(images), ", ".join(Path(str(e).split(":")[0]).name for e in unpaired[:5]),
                    " ..." if len(unpaired) > 5 else "")
    return samples


def held_out_names(names: list[str], fraction: float) -> list[str]:
    """`fraction` of `names` (at least one, never all), chosen by a fixed seed from the sorted names;
    none from a single image."""
    if len(names) < 2:
        return []
    count = min(len(names) - 1, max(1, round(fraction * len(names))))
    order = np.random.default_rng(SPLIT_SEED).permutation(len(names))
    return sorted(sorted(names)[i] for i in order[:count])


@register_format
class FolderFormat(DataFormat):
    """train/, val/, test/, each with images/ and masks/; without val/, data.val_fraction of train/."""
    name = "folder"
    layout = "train/images + train/masks (val/, test/ optional)"

    def recognises(self, root: Path) -> bool:
        return (root / "train" / "images").is_dir() and (root / "train" / "masks").is_dir()

    def unpaired(self, root: Path, split: str, data: DataConfig) -> list[str]:
        split_dir = root / ("train" if split == "val" and not (root / "val").is_dir() else split)
        if not (split_dir / "images").is_dir():
            return []
        return [str(error).split(": ", 1)[0] for error in pair_files(split_dir, data)[2]]

    def find(self, root: Path, split: str, data: DataConfig, need_masks: bool) -> list[SampleFiles]:
        if split == "test" or (root / "val").is_dir():
            return paired_samples(root / split, data, need_masks)
        samples = paired_samples(root / "train", data, need_masks)
        held_out = set(data.val_images or held_out_names([s.name for s in samples], data.val_fraction))
        missing = held_out - {s.name for s in samples}
        if missing:
            raise DataError(f"{root / 'train'}: data.val_images {sorted(missing)[:3]} not found among the "
                            f"training images")
        return [s for s in samples if (s.name in held_out) == (split == "val")]

    def fold_names(self, data: DataConfig) -> list[str]:
        root = Path(data.root)
        if (root / "val").is_dir():
            raise ConfigError(f"--folds divides {root / 'train'}, but {root / 'val'} exists too: move its images "
                              f"and masks into train/ (or train without --folds)")
        return [sample.name for sample in paired_samples(root / "train", data, True)]

    def has_validation(self, data: DataConfig) -> bool:
        return (Path(data.root) / "val").is_dir() or bool(self.find(Path(data.root), "val", data, True))

    def settle(self, data: DataConfig) -> DataConfig:
        root = Path(data.root)
        if data.val_images or (root / "val").is_dir() or not (root / "train").is_dir():
            return data
        names = held_out_names([s.name for s in paired_samples(root / "train", data, True)], data.val_fraction)
        if not names:
            log.warning("%s: one training image and no val/ folder: training without validation", root)
            return data
        log.info("no val/ folder: holding out %d training images for validation (data.val_fraction=%g): %s",
                 len(names), data.val_fraction, ", ".join(names[:10]) + (" ..." if len(names) > 10 else ""))
        return dataclasses.replace(data, val_images=names)
