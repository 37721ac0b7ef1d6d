"""Label Studio's JSON export beside its images (data/annotations/label_studio.py reads it).

    <root>/<export>.json + <root>/images/ (or the images beside it); <root>/train/<export>.json (val/, test/
    optional) likewise; or data.annotations=FILE (+ data.images=DIR)
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from ...config import one_of, option
from ...errors import DataError
from ..annotations.coco import load_json
from ..annotations.label_studio import is_label_studio, read_label_studio
from ..annotations.regions import Annotations
from .annotated import UNANNOTATED, AnnotationFormat, AnnotationOptions, SplitSource, exports_by_split
from .base import register_format


@dataclass
class LabelStudioOptions(AnnotationOptions):
    """data.label_studio.*: a project's export lists its tasks, annotated or not (left out unless told)."""
    unannotated: str = option("unlabelled", UNANNOTATED, one_of("background", "unlabelled"))


def _export_in(folder: Path) -> SplitSource | None:
    """The one Label Studio export in `folder` and its images folder (images/ inside, else the folder)."""
    return _export_in_folder(folder, folder.stat().st_mtime_ns) if folder.is_dir() else None


@functools.lru_cache(maxsize=32)
def _export_in_folder(folder: Path, modified_ns: int) -> SplitSource | None:
    """_export_in, once per folder as it is (every split and question asks for the sources: a large export
    is not parsed again each time only to be recognised)."""
    exports = []
    for file in sorted(folder.glob("*.json")):
        try:
            with file.open("rb") as opened:   # a list of tasks: not every JSON of a LabelMe folder parsed
                if opened.read(64).lstrip()[:1] != b"[":
                    continue
            if is_label_studio(load_json(file)):
                exports.append(file)
        except DataError:
            continue
    if len(exports) > 1:
        raise DataError(f"{folder}: holds {len(exports)} Label Studio exports ({', '.join(p.name for p in exports)}); "
                        f"name one with data.annotations=FILE")
    if not exports:
        return None
    return SplitSource((exports[0],), folder / "images" if (folder / "images").is_dir() else folder)


@register_format
class LabelStudioFormat(AnnotationFormat):
    """Label Studio's JSON export + images (module docstring)."""
    name = "label_studio"
    options = LabelStudioOptions
    layout = "a Label Studio JSON export + images/ (in data.root or train/), or data.annotations=FILE"

    def sources(self, root: Path) -> dict[str, SplitSource]:
        return exports_by_split(root, _export_in, "Label Studio export", self.layout)

    def read(self, source: SplitSource, options: AnnotationOptions) -> Annotations:
        return read_label_studio(source.files[0], source.images)

    def reads_export(self, path: Path) -> bool:
        try:
            return path.suffix.lower() == ".json" and is_label_studio(load_json(path))
        except DataError:
            return False
