"""The PASCAL VOC layout (VOCdevkit), for VOC itself and anyone's data in VOC form.

    <root>/JPEGImages/<id>.jpg, SegmentationClass/<id>.png, ImageSets/Segmentation/{train,val,test}.txt

data.root is the year folder (VOCdevkit/VOC2012) or a folder holding exactly one VOC<year> folder.
CVAT's "Segmentation mask 1.1" export is this layout with colour masks named by its labelmap.txt (a colour
table the plan reads) and, for a task without subsets, ImageSets/Segmentation/default.txt as the training
list (validation then held out by data.val_fraction).
Masks are palette PNGs (VOC's own: pixel values are the class ids, 255 marks object borders, which
are ignored) or class-index PNGs; they are read as class ids whatever data.mask says.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from ...config import Config, DataConfig
from ...errors import ConfigError, DataError
from ..io import IMAGE_SUFFIXES
from .base import DataFormat, SampleFiles, register_format
from .folder import held_out_names

VOC_CLASSES = ["background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair",
               "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
               "train", "tvmonitor"]


def voc_year_folder(root: Path) -> Path:
    """root itself when it holds JPEGImages/, else its one VOC<year> subfolder that does."""
    if (root / "JPEGImages").is_dir():
        return root
    years = sorted(p for p in root.glob("VOC*") if (p / "JPEGImages").is_dir())
    if len(years) == 1:
        return years[0]
    if not years:
        raise DataError(f"{root}: no JPEGImages/ here or in a VOC<year>/ folder (VOC layout)")
    raise DataError(f"{root}: holds {', '.join(p.name for p in years)}; set data.root to one of them")


def _file_for(folder: Path, sample_id: str, suffixes: tuple[str, ...]) -> Path | None:
    for suffix in suffixes:
        if (folder / f"{sample_id}{suffix}").is_file():
            return folder / f"{sample_id}{suffix}"
    return None


def split_listing(year: Path, split: str) -> Path:
    """ImageSets/Segmentation/<split>.txt; for train, CVAT's default.txt where there is no train.txt (its
    "Segmentation mask 1.1" export of a task without subsets)."""
    folder = year / "ImageSets" / "Segmentation"
    if split == "train" and not (folder / "train.txt").is_file() and (folder / "default.txt").is_file():
        return folder / "default.txt"
    return folder / f"{split}.txt"


def voc_samples(root: Path, split: str, need_masks: bool) -> list[SampleFiles]:
    year = voc_year_folder(root)
    listing = split_listing(year, split)
    if not listing.is_file():
        raise DataError(f"{listing}: split list not found (VOC layout: one id per line)")
    ids = [line.split()[0] for line in listing.read_text().splitlines() if line.strip()]
    if not ids:
        raise DataError(f"{listing}: lists no ids")
    samples = []
    for sample_id in ids:
        image = _file_for(year / "JPEGImages", sample_id, (".jpg", ".jpeg", *IMAGE_SUFFIXES))
        if image is None:
            raise DataError(f"{year / 'JPEGImages' / sample_id}.jpg: listed in {listing.name} but not found")
        mask = _file_for(year / "SegmentationClass", sample_id, (".png",))
        if mask is None and need_masks:
            raise DataError(f"{year / 'SegmentationClass' / sample_id}.png: listed in {listing.name} but not found")
        samples.append(SampleFiles(sample_id, image, mask))
    return samples


def _only_default_list(root: Path) -> bool:
    """CVAT's export of a task without subsets: default.txt is the training list and there is no val.txt."""
    try:
        year = voc_year_folder(root)
    except DataError:
        return False
    return split_listing(year, "train").name == "default.txt" and not split_listing(year, "val").is_file()


@register_format
class VocFormat(DataFormat):
    """ImageSets/Segmentation/{train,val,test}.txt name the splits; validation when val.txt exists, or
    the ids of train.txt in data.val_images (held out of training: k-fold runs set it per fold)."""
    name = "voc"
    layout = "JPEGImages + SegmentationClass + ImageSets/Segmentation (PASCAL VOC, or one VOC<year>/ inside)"

    def recognises(self, root: Path) -> bool:
        try:
            year = voc_year_folder(root)
        except DataError:
            return False
        return (year / "SegmentationClass").is_dir() and (year / "ImageSets" / "Segmentation").is_dir()

    def find(self, root: Path, split: str, data: DataConfig, need_masks: bool) -> list[SampleFiles]:
        if split in ("train", "val") and (data.val_images or _only_default_list(root)):
            # k-fold: held-out ids of train.txt, not val.txt; CVAT's default.txt: data.val_fraction of it
            train = voc_samples(root, "train", need_masks)
            held_out = set(data.val_images or held_out_names([s.name for s in train], data.val_fraction))
            return [s for s in train if (s.name in held_out) == (split == "val")]
        return voc_samples(root, split, need_masks)

    def fold_names(self, data: DataConfig) -> list[str]:
        """The ids of ImageSets/Segmentation/train.txt (val.txt stays out of the folds)."""
        return [sample.name for sample in voc_samples(Path(data.root), "train", True)]

    def settle(self, data: DataConfig) -> DataConfig:
        """CVAT's export (default.txt, no val.txt): data.val_fraction of the training ids is held out
        for validation, as the folder format does, and stored in data.val_images."""
        if data.val_images or not _only_default_list(Path(data.root)):
            return data
        names = held_out_names([s.name for s in voc_samples(Path(data.root), "train", True)], data.val_fraction)
        return dataclasses.replace(data, val_images=names) if names else data

    def has_validation(self, data: DataConfig) -> bool:
        if data.val_images or _only_default_list(Path(data.root)):
            return True
        try:
            return (voc_year_folder(Path(data.root)) / "ImageSets" / "Segmentation" / "val.txt").is_file()
        except DataError:
            return True  # let finding the val split say what is wrong

    def default_class_names(self, num_classes: int) -> list[str] | None:
        return list(VOC_CLASSES) if num_classes == len(VOC_CLASSES) else None

    def check_config(self, config: Config) -> None:
        super().check_config(config)
        if config.data.mask != "index":
            raise ConfigError("data.format=voc reads class-id masks: set data.mask=index")
