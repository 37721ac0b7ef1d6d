"""DRIVE as published: training/ (ids 21-40) and test/ (01-20); the FOV mask is the region of interest."""
from __future__ import annotations

import re
from pathlib import Path

from ...config import DataConfig
from ...errors import DataError
from .base import DataFormat, SampleFiles, images_in, register_format

_DRIVE_ID = re.compile(r"^(\d+)_(training|test)$")


def drive_samples(root: Path, split: str, val_images: list[str], need_masks: bool) -> list[SampleFiles]:
    """`val_images` ids are held out of training/ and form the val split; test/ is the test split."""
    folder = root / ("test" if split == "test" else "training")
    held_out = {str(int(v)) for v in val_images}
    samples = []
    for image in images_in(folder / "images"):
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


@register_format
class DriveFormat(DataFormat):
    """data.val_images ids are held out of training for validation; test/ is only used by evaluate."""
    name = "drive"
    layout = "training/images + training/1st_manual + training/mask (DRIVE as published)"

    def recognises(self, root: Path) -> bool:
        return all((root / "training" / folder).is_dir() for folder in ("images", "1st_manual", "mask"))

    def find(self, root: Path, split: str, data: DataConfig, need_masks: bool) -> list[SampleFiles]:
        return drive_samples(root, split, data.val_images, need_masks)

    def fold_names(self, data: DataConfig) -> list[str]:
        """The training ids (21-40 as published), as data.val_images names them."""
        return [sample.name.split("_")[0] for sample in drive_samples(Path(data.root), "train", [], True)]

    def has_validation(self, data: DataConfig) -> bool:
        return bool(data.val_images)  # without held-out ids every training image is trained on
