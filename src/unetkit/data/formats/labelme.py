"""LabelMe: JSON files beside their images (data/annotations/labelme.py reads them).

    <root>/train/*.json + images (val/, test/ optional)   or   <root>/*.json + images (one set)
"""
from __future__ import annotations

from pathlib import Path

from ..annotations.labelme import labelme_files, read_labelme
from ..annotations.regions import Annotations
from .annotated import AnnotationFormat, AnnotationOptions, SplitSource, exports_by_split
from .base import register_format


def _files_in(folder: Path) -> SplitSource | None:
    files = labelme_files(folder) if folder.is_dir() else []
    return SplitSource(tuple(files), folder) if files else None


@register_format
class LabelmeFormat(AnnotationFormat):
    """One LabelMe JSON per image (module docstring)."""
    name = "labelme"
    layout = "train/*.json (LabelMe files) beside their images, or *.json in data.root"

    def sources(self, root: Path) -> dict[str, SplitSource]:
        return exports_by_split(root, _files_in, "LabelMe files", self.layout)

    def read(self, source: SplitSource, options: AnnotationOptions) -> Annotations:
        return read_labelme(list(source.files))
