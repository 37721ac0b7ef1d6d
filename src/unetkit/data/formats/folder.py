"""The plain layout: root/<split>/images/*, masks/<same stem>.*, optional roi/<same stem>.*"""
from __future__ import annotations

from pathlib import Path

from ...config import DataConfig
from ...errors import DataError
from .base import DataFormat, SampleFiles, find_partner, images_in, register_format


def folder_samples(root: Path, split: str, need_masks: bool) -> list[SampleFiles]:
    split_dir = root / split
    images = images_in(split_dir / "images")
    masks_dir, roi_dir = split_dir / "masks", split_dir / "roi"
    if need_masks and not masks_dir.is_dir():
        raise DataError(f"{masks_dir}: folder not found (each split needs images/ and masks/)")
    samples = []
    for image in images:
        mask = find_partner(masks_dir, image.stem, image, "mask") if masks_dir.is_dir() else None
        roi = find_partner(roi_dir, image.stem, image, "roi") if roi_dir.is_dir() else None
        samples.append(SampleFiles(image.stem, image, mask, roi))
    return samples


@register_format
class FolderFormat(DataFormat):
    """train/, val/, test/, each with images/ and masks/ matched by file stem, optional roi/."""
    name = "folder"

    def find(self, root: Path, split: str, data: DataConfig, need_masks: bool) -> list[SampleFiles]:
        return folder_samples(root, split, need_masks)
