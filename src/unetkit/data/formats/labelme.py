"""LabelMe: JSON files beside their images (data/annotations/labelme.py reads them).

    <root>/train/*.json + images (val/, test/ optional)   or   <root>/*.json + images (one set)
"""
from __future__ import annotations

from pathlib import Path

from ...errors import DataError
from ..annotations.labelme import labelme_files, read_labelme
from ..annotations.regions import Annotations
from .annotated import AnnotationFormat, AnnotationOptions, SplitSource
from .base import register_format
from .coco import SPLIT_FOLDERS


@register_format
class LabelmeFormat(AnnotationFormat):
    """One LabelMe JSON per image (module docstring)."""
    name = "labelme"
    layout = "train/*.json (LabelMe files) beside their images, or *.json in data.root"

    def sources(self, root: Path) -> dict[str, SplitSource]:
        found: dict[str, SplitSource] = {}
        for split, folders in SPLIT_FOLDERS.items():
            for folder in folders:
                files = labelme_files(root / folder) if (root / folder).is_dir() else []
                if files:
                    found[split] = SplitSource(tuple(files), root / folder)
                    break
        if not found and root.is_dir():
            files = labelme_files(root)
            if files:
                found["train"] = SplitSource(tuple(files), root)
        if "train" not in found:
            raise DataError(f"{root}: no LabelMe files here ({self.layout})")
        return found

    def read(self, source: SplitSource, options: AnnotationOptions) -> Annotations:
        return read_labelme(list(source.files))
