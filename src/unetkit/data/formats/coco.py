"""COCO instances JSON beside its images (data/annotations/coco.py reads it), in the layouts exports come in:

    Roboflow:         <root>/train/_annotations.coco.json beside the images; valid/ (or val/), test/ optional
    COCO's own:       <root>/annotations/instances_<split>.json, images in <root>/<split>/, <root>/<split>2017/,
                      <root>/images/<split>/ or <root>/images/
    CVAT's COCO 1.0:  <root>/annotations/instances_default.json + <root>/images/ (one set: validation held out)
    anything else:    data.annotations=FILE (+ data.images=DIR)
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ...config import one_of, option
from ...errors import DataError
from ..annotations.coco import is_coco, load_json, read_coco
from ..annotations.regions import Annotations
from .annotated import SPLIT_FOLDERS, AnnotationFormat, AnnotationOptions, SplitSource
from .base import register_format

log = logging.getLogger(__name__)

ROBOFLOW_FILE = "_annotations.coco.json"
TOOL_MASKS_SHARE = 0.1   # more crowd regions than this: a tool's masks, not COCO's crowds (about 1% in COCO)


@dataclass
class CocoOptions(AnnotationOptions):
    """data.coco.*"""
    crowd: str = option("auto", "crowd regions (iscrowd=1): ignore (not learned, COCO's meaning) | class (their "
                        "category) | auto (class where they are over 10% of the regions: CVAT's COCO export marks "
                        "every mask iscrowd=1; else ignore)", one_of("auto", "ignore", "class"))

    def crowd_as_ignore(self, annotations) -> bool:
        if self.crowd != "auto":
            return self.crowd == "ignore"
        regions = [region for image in annotations.images for region in image.regions]
        crowds = sum(region.crowd for region in regions)
        if crowds and crowds > TOOL_MASKS_SHARE * len(regions):
            log.info("%s: %d of %d regions are marked iscrowd=1: a tool's masks (CVAT writes its masks so), painted "
                     "as their class (data.coco.crowd=ignore leaves them out)", annotations.source, crowds, len(regions))
            return False
        return True


def _coco_files(root: Path) -> dict[str, SplitSource]:
    found: dict[str, SplitSource] = {}
    for split, folders in SPLIT_FOLDERS.items():   # Roboflow
        for folder in folders:
            if (root / folder / ROBOFLOW_FILE).is_file():
                found[split] = SplitSource((root / folder / ROBOFLOW_FILE,), root / folder)
                break
    if found:
        return found
    annotations = root / "annotations"
    for split, folders in SPLIT_FOLDERS.items():   # COCO's own, and CVAT's single set as train
        for folder in (*folders, *(("default",) if split == "train" else ())):
            matches = sorted(annotations.glob(f"instances_{folder}*.json")) if annotations.is_dir() else []
            if matches:
                found[split] = SplitSource((matches[0],), _images_for(root, matches[0], folder))
                break
    return found


def _images_for(root: Path, file: Path, split_folder: str) -> Path:
    """instances_val2017.json -> val2017/; instances_default.json -> images/ (CVAT); else images/<split>/."""
    year = file.stem.removeprefix("instances_")
    for candidate in (root / year, root / split_folder, root / "images" / year, root / "images" / split_folder,
                      root / "images"):
        if candidate.is_dir():
            return candidate
    raise DataError(f"{file}: no images folder for it ({root / year}/, {root / 'images'}/ ...); set data.images")


@register_format
class CocoFormat(AnnotationFormat):
    """COCO instances JSON + images (module docstring)."""
    name = "coco"
    options = CocoOptions
    layout = (f"train/{ROBOFLOW_FILE} (Roboflow), annotations/instances_<split>.json + images (COCO, CVAT), "
              f"or data.annotations=FILE")

    def sources(self, root: Path) -> dict[str, SplitSource]:
        found = _coco_files(root)
        if "train" not in found:
            raise DataError(f"{root}: no COCO export here ({self.layout})")
        return found

    def read(self, source: SplitSource, options: AnnotationOptions) -> Annotations:
        return read_coco(source.files[0], source.images)

    def reads_export(self, path: Path) -> bool:
        try:
            return path.suffix.lower() == ".json" and is_coco(load_json(path))
        except DataError:
            return False
