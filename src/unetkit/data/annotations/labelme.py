"""LabelMe: one JSON file per image (`shapes`: label, points, shape_type; `imagePath`, `imageHeight`,
`imageWidth`), usually beside the image. Polygons, rectangles, circles and masks (newer LabelMe: a
base64 PNG of the shape's box) are regions; lines and points outline nothing and are left out. LabelMe
has no category list: the classes are the labels used, in name order (the same order in every split),
after background (`_background_`, LabelMe's own, when a shape uses it).
"""
from __future__ import annotations

import base64
import io
import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from ...errors import DataError
from ..io import is_image_file
from .coco import load_json
from .regions import AnnotatedImage, Annotations, Category, Region

REGION_SHAPES = ("polygon", "oriented_rectangle", "rectangle", "circle", "mask")
OUTLINE_ONLY = ("line", "linestrip", "point", "points")


def is_labelme(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("shapes"), list) and "imagePath" in document


def labelme_files(folder: Path) -> list[Path]:
    """The JSON files of a folder when it holds LabelMe files (the first, in name order, is one: the others
    are checked as they are read), else none."""
    files = sorted(folder.glob("*.json"))
    try:
        return files if files and is_labelme(load_json(files[0])) else []
    except DataError:
        return []


def _image_for(file: Path, document: dict) -> Path:
    named = Path(os.path.normpath(file.parent / str(document.get("imagePath") or "").replace("\\", "/")))
    if named.is_file():
        return named
    beside = [p for p in sorted(file.parent.glob(f"{file.stem}.*")) if is_image_file(p)]
    return beside[0] if beside else named


def read_labelme(files: list[Path]) -> Annotations:
    """The LabelMe files as one set (the folder they are in is the export)."""
    images, problems, labels = [], [], set()
    for file in files:
        document = load_json(file)
        if not is_labelme(document):
            problems.append(f"{file}: not a LabelMe file (it needs 'shapes' and 'imagePath')")
            continue
        path = _image_for(file, document)
        if not path.is_file():
            problems.append(f"{file}: image '{document.get('imagePath')}' not found beside it")
            continue
        try:
            width, height = int(document.get("imageWidth") or 0), int(document.get("imageHeight") or 0)
        except (TypeError, ValueError):
            width = height = 0   # read from the image instead
        if width <= 0 or height <= 0:
            with Image.open(path) as opened:
                width, height = opened.size
        image = AnnotatedImage(path.name, path, width, height, annotated=bool(document["shapes"]))
        for number, shape in enumerate(document["shapes"]):
            try:
                region, problem = _region(shape, number, width, height)
            except (TypeError, ValueError) as error:
                region, problem = None, f"unreadable ({error})"
            if problem:
                label = shape.get("label") if isinstance(shape, dict) else None
                problems.append(f"{file}: image '{path.name}', shape {number} ({label}): {problem}")
            elif region is not None:
                image.regions.append(region)
                labels.add(str(region.category))
        images.append(image)
    categories = [Category(name, name) for name in sorted(labels)]
    return Annotations(files[0].parent if files else Path("."), categories, images, problems)


def _region(shape: Any, number: int, width: int, height: int) -> tuple[Region | None, str]:
    if not isinstance(shape, dict) or "label" not in shape:
        return None, "a shape without a label"
    kind = shape.get("shape_type") or "polygon"
    if kind in OUTLINE_ONLY:
        return None, ""
    if kind not in REGION_SHAPES:
        return None, f"shape_type '{kind}' is not one unetkit reads ({', '.join(REGION_SHAPES)})"
    try:
        points = np.asarray(shape.get("points") or [], dtype=float).reshape(-1, 2)
    except ValueError:
        return None, "points that are not [x, y] pairs"
    region = Region(str(shape["label"]), number)
    if kind in ("polygon", "oriented_rectangle"):
        if len(points) < 3:
            return None, f"a polygon of {len(points)} points (3 or more needed)"
        region.polygons = [points.ravel().tolist()]
    elif kind == "rectangle" or kind == "mask":
        if len(points) != 2:
            return None, f"a {kind} needs its two corners; it has {len(points)} points"
        (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
        if kind == "rectangle":
            region.polygons = [[x0, y0, x1, y0, x1, y1, x0, y1]]
        else:
            region.mask, problem = _box_mask(shape.get("mask"), int(round(x0)), int(round(y0)), width, height)
            if problem:
                return None, problem
    else:   # circle: the centre and a point on the rim
        if len(points) != 2:
            return None, f"a circle needs its centre and a point on it; it has {len(points)} points"
        radius = float(np.hypot(*(points[1] - points[0])))
        ring = cv2.ellipse2Poly((int(round(points[0][0])), int(round(points[0][1]))),
                                (max(1, int(round(radius))),) * 2, 0, 0, 360, 5)
        region.polygons = [ring.astype(float).ravel().tolist()]
    return region, ""


def _box_mask(encoded: Any, left: int, top: int, width: int, height: int) -> tuple[np.ndarray | None, str]:
    """A mask shape's base64 PNG, placed at its box's corner in a full-size array."""
    if not isinstance(encoded, str):
        return None, "a mask shape without its mask"
    try:
        with Image.open(io.BytesIO(base64.b64decode(encoded))) as opened:
            crop = np.asarray(opened.convert("L")) > 0
    except (ValueError, OSError):
        return None, "a mask that is not a base64 PNG"
    full = np.zeros((height, width), dtype=bool)
    bottom, right = min(height, top + crop.shape[0]), min(width, left + crop.shape[1])
    if bottom <= top or right <= left or top < 0 or left < 0:
        return None, f"a mask whose box ({left}, {top}) lies outside the {width}x{height} image"
    full[top:bottom, left:right] = crop[:bottom - top, :right - left]
    return full, ""
