"""The PASCAL VOC layout (VOCdevkit), for VOC itself and anyone's data in VOC form.

    <root>/JPEGImages/<id>.jpg, SegmentationClass/<id>.png, ImageSets/Segmentation/{train,val,test}.txt

data.root is the year folder (VOCdevkit/VOC2012) or a folder holding exactly one VOC<year> folder.
Masks are palette PNGs (VOC's own: pixel values are the class ids, 255 marks object borders, which
are ignored) or class-index PNGs; they are read as class ids whatever data.mask says.
"""
from __future__ import annotations

from pathlib import Path

from ...config import Config, DataConfig
from ...errors import ConfigError, DataError
from ..io import IMAGE_SUFFIXES
from .base import DataFormat, SampleFiles, register_format

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


def voc_samples(root: Path, split: str, need_masks: bool) -> list[SampleFiles]:
    year = voc_year_folder(root)
    listing = year / "ImageSets" / "Segmentation" / f"{split}.txt"
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
        if data.val_images and split in ("train", "val"):   # k-fold: held-out ids of train.txt, not val.txt
            held_out = set(data.val_images)
            return [s for s in voc_samples(root, "train", need_masks) if (s.name in held_out) == (split == "val")]
        return voc_samples(root, split, need_masks)

    def fold_names(self, data: DataConfig) -> list[str]:
        """The ids of ImageSets/Segmentation/train.txt (val.txt stays out of the folds)."""
        return [sample.name for sample in voc_samples(Path(data.root), "train", True)]

    def has_validation(self, data: DataConfig) -> bool:
        if data.val_images:
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
