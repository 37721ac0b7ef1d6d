"""CVAT's "CVAT for images 1.1" export (data/annotations/cvat.py reads it).

    <root>/annotations.xml + <root>/images/ (the export with images); <root>/train/annotations.xml (val/,
    test/ optional) likewise; or data.annotations=FILE (+ data.images=DIR)

CVAT's "Segmentation mask 1.1" export (colour PNGs in a VOC layout with labelmap.txt, its frames listed in
default.txt) is read by data.format=voc (voc.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...config import one_of, option
from ..annotations.cvat import is_cvat, read_cvat
from ..annotations.regions import Annotations
from .annotated import UNANNOTATED, AnnotationFormat, AnnotationOptions, SplitSource, exports_by_split
from .base import register_format

EXPORT_FILE = "annotations.xml"


@dataclass
class CvatOptions(AnnotationOptions):
    """data.cvat.*: a task's export lists every frame, labelled or not (left out unless told)."""
    unannotated: str = option("unlabelled", UNANNOTATED, one_of("background", "unlabelled"))
    boxes: bool = option(False, "boxes painted as their label (else left out: a box is not an outline)")


def _export_in(folder: Path) -> SplitSource | None:
    file = folder / EXPORT_FILE
    if not file.is_file():
        return None
    return SplitSource((file,), folder / "images" if (folder / "images").is_dir() else folder)


@register_format
class CvatFormat(AnnotationFormat):
    """CVAT for images 1.1 XML + images (module docstring)."""
    name = "cvat"
    options = CvatOptions
    layout = f"{EXPORT_FILE} + images/ (CVAT for images 1.1, in data.root or train/), or data.annotations=FILE"

    def sources(self, root: Path) -> dict[str, SplitSource]:
        return exports_by_split(root, _export_in, "CVAT export", self.layout)

    def read(self, source: SplitSource, options: CvatOptions) -> Annotations:
        return read_cvat(source.files[0], source.images, boxes=options.boxes)

    def reads_export(self, path: Path) -> bool:
        return is_cvat(path)
