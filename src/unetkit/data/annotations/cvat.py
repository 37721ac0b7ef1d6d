"""CVAT's "CVAT for images 1.1" XML (annotations.xml) in, and pre-annotations in it out.

Labels are declared under meta/task (or job, project)/labels. Per <image name width height>: polygons
(`points="x,y;x,y;..."`), masks (`rle` runs row-major over the box left, top, width, height, the first run
counting zeros), ellipses, and boxes when data.cvat.boxes=true; polylines, points, tags and skeletons
outline nothing and are left out. z_order orders overlaps (rasterise.py). The mask runs are CVAT's own
and simple (cvat-sdk's encode_mask writes the same; the tests hold them to it); read here with numpy.
"""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import cv2
import numpy as np

from ...errors import DataError
from .coco import image_path
from .label_regions import label_regions
from .regions import AnnotatedImage, Annotations, Category, PredictedImage, Region


def parse_cvat(path: Path) -> ElementTree.Element:
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise DataError(f"{path}: not an XML file ({error})") from None
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror or error})") from None
    if root.tag != "annotations":
        raise DataError(f"{path}: not a CVAT for images XML (its root is <{root.tag}>, not <annotations>)")
    return root


def is_cvat(path: Path) -> bool:
    try:
        return path.suffix.lower() == ".xml" and parse_cvat(path).find("image") is not None
    except DataError:
        return False


def mask_from_runs(runs: list[int], left: int, top: int, width: int, height: int, image_width: int,
                   image_height: int) -> np.ndarray:
    """A CVAT mask's runs as a full-size boolean array (ValueError naming what does not fit)."""
    if sum(runs) != width * height:
        raise ValueError(f"its runs cover {sum(runs)} pixels, its {width}x{height} box has {width * height}")
    if left < 0 or top < 0 or left + width > image_width or top + height > image_height:
        raise ValueError(f"its box ({left}, {top}, {width}x{height}) passes the {image_width}x{image_height} image")
    values = (np.arange(len(runs)) % 2).astype(bool)   # the first run counts zeros
    full = np.zeros((image_height, image_width), dtype=bool)
    full[top:top + height, left:left + width] = np.repeat(values, runs).reshape(height, width)
    return full


def runs_of(mask: np.ndarray) -> tuple[list[int], tuple[int, int, int, int]]:
    """A non-empty boolean mask as CVAT's runs over its tight box (left, top, width, height)."""
    rows, columns = np.nonzero(mask)
    top, bottom, left, right = rows.min(), rows.max(), columns.min(), columns.max()
    flat = mask[top:bottom + 1, left:right + 1].ravel()
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    runs = np.diff(np.r_[0, changes, flat.size]).tolist()
    return ([0] + runs if flat[0] else runs), (int(left), int(top), int(right - left + 1), int(bottom - top + 1))


def read_cvat(path: Path, images_dir: Path, boxes: bool = False) -> Annotations:
    """The export at `path`, its images looked for in `images_dir`; boxes painted when `boxes`."""
    root = parse_cvat(path)
    declared = [label.findtext("name") for label in root.iterfind("meta//labels/label")]
    categories = [Category(name, name) for name in dict.fromkeys(n for n in declared if n)]
    known = {category.id for category in categories}
    result = Annotations(path, categories, [])
    for element in root.iterfind("image"):
        name = element.get("name", "")
        file = image_path(images_dir, name)
        if not file.is_file():
            result.problems.append(f"{path}: image '{name}' (id {element.get('id')}) not found in {images_dir}")
            continue
        try:
            width, height = int(element.get("width", 0)), int(element.get("height", 0))
        except ValueError:
            width = height = 0
        if width <= 0 or height <= 0:
            result.problems.append(f"{path}: image '{name}' (id {element.get('id')}): width and height are not whole "
                                   f"numbers above 0 ({element.get('width')!r}, {element.get('height')!r})")
            continue
        image = AnnotatedImage(name, file, width, height)
        for number, shape in enumerate(element):
            if shape.tag not in ("polygon", "mask", "box", "ellipse") or (shape.tag == "box" and not boxes):
                continue
            where = f"{path}: image '{name}', {shape.tag} {number} ({shape.get('label')})"
            if shape.get("label") not in known:
                result.problems.append(f"{where}: label '{shape.get('label')}' is not among the file's labels "
                                       f"({', '.join(sorted(known)) or 'none'})")
                continue
            try:
                image.regions.append(_region(shape, f"{element.get('id')}/{number}", width, height))
            except (ValueError, TypeError, ZeroDivisionError) as error:
                result.problems.append(f"{where}: {error if str(error) else type(error).__name__}")
        image.annotated = bool(image.regions) or any(child.tag != "tag" for child in element)
        result.images.append(image)
    return result


def _region(shape: ElementTree.Element, region_id: str, width: int, height: int) -> Region:
    region = Region(shape.get("label"), region_id, z=int(shape.get("z_order", 0)))
    if shape.tag == "polygon":
        points = [tuple(map(float, pair.split(","))) for pair in shape.get("points", "").split(";") if pair]
        if len(points) < 3:
            raise ValueError(f"a polygon of {len(points)} points (3 or more needed)")
        region.polygons = [[c for point in points for c in point]]
    elif shape.tag == "mask":
        runs = [int(float(v)) for v in shape.get("rle", "").split(",") if v.strip()]
        box = [int(float(shape.get(key, 0))) for key in ("left", "top", "width", "height")]
        region.mask = mask_from_runs(runs, *box, width, height)
    elif shape.tag == "box":   # CVAT turns a box by `rotation` degrees (clockwise, y down) about its centre
        x0, y0, x1, y1 = (float(shape.get(key, 0)) for key in ("xtl", "ytl", "xbr", "ybr"))
        corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        turn = np.radians(float(shape.get("rotation", 0)))
        centre = corners.mean(axis=0)
        rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
        region.polygons = [((corners - centre) @ rotation.T + centre).ravel().tolist()]
    else:   # ellipse
        cx, cy, rx, ry = (float(shape.get(key, 0)) for key in ("cx", "cy", "rx", "ry"))
        ring = cv2.ellipse2Poly((round(cx), round(cy)), (max(1, round(rx)), max(1, round(ry))),
                                round(float(shape.get("rotation", 0))), 0, 360, 5)
        region.polygons = [ring.astype(float).ravel().tolist()]
    return region


def cvat_root(class_names: list[str]) -> ElementTree.Element:
    """A "CVAT for images 1.1" document's frame: version and the labels (background left out)."""
    root = ElementTree.Element("annotations")
    ElementTree.SubElement(root, "version").text = "1.1"
    labels = ElementTree.SubElement(ElementTree.SubElement(ElementTree.SubElement(root, "meta"), "task"), "labels")
    for name in class_names[1:]:
        label = ElementTree.SubElement(labels, "label")
        ElementTree.SubElement(label, "name").text = name
        ElementTree.SubElement(label, "type").text = "any"
    return root


def add_cvat_image(root: ElementTree.Element, item: PredictedImage, image_id: int, class_names: list[str]) -> None:
    """One image's pre-annotations: a polygon per connected piece of a class, a mask where the piece has
    holes (CVAT's polygons cannot hold one), source="auto"."""
    height, width = item.label.shape
    element = ElementTree.SubElement(root, "image", id=str(image_id), name=item.file_name, width=str(width),
                                     height=str(height))
    for region in label_regions(item.label, item.probabilities):
        common = {"label": class_names[region.class_id], "source": "auto", "occluded": "0"}
        if region.holes:
            runs, (left, top, box_width, box_height) = runs_of(region.mask(height, width))
            ElementTree.SubElement(element, "mask", **common, rle=", ".join(map(str, runs)), left=str(left),
                                   top=str(top), width=str(box_width), height=str(box_height), z_order="0")
        else:
            pairs = zip(region.outer[0::2], region.outer[1::2], strict=True)
            ElementTree.SubElement(element, "polygon", **common,
                                   points=";".join(f"{x:.2f},{y:.2f}" for x, y in pairs), z_order="0")


def cvat_text(root: ElementTree.Element) -> str:
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def cvat_xml(predicted: list[PredictedImage], class_names: list[str]) -> str:
    """Pre-annotations as "CVAT for images 1.1" XML to upload into a task (add_cvat_image per image)."""
    root = cvat_root(class_names)
    for image_id, item in enumerate(predicted):
        add_cvat_image(root, item, image_id, class_names)
    return cvat_text(root)
