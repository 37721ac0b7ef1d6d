"""COCO instances JSON (`images`, `annotations`, `categories`): what CVAT, Label Studio, Roboflow and
FiftyOne export. Segmentations are polygons (one or more rings of x, y in pixels) or RLE, compressed
(a counts string) or not (a list, COCO's crowd regions); `iscrowd` marks crowds. Images without any
annotation are kept as `annotated=False` (the format's `unannotated` setting decides what they are).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import DataError
from .label_regions import label_regions
from .regions import AnnotatedImage, Annotations, Category, PredictedImage, Region


def load_json(path: Path) -> Any:
    """The parsed file; DataError naming it when it is not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: not a JSON file ({error})") from None
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror or error})") from None


def is_coco(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("images"), list) \
        and isinstance(document.get("annotations"), list)


def image_path(images_dir: Path, file_name: str) -> Path:
    """Where an image the file names is: under images_dir as named, else by its bare name (exports
    keep the folders of the machine they were made on)."""
    named = images_dir / file_name
    return named if named.is_file() else images_dir / Path(file_name.replace("\\", "/")).name


def _key(value: Any) -> bool:
    """Whether an id can be one: a whole number or a string (a list or a float is a mistake in the file)."""
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def _image(entry: Any, path: Path, images_dir: Path) -> tuple[AnnotatedImage | None, str]:
    if not isinstance(entry, dict) or not _key(entry.get("id")) or not isinstance(entry.get("file_name"), str):
        return None, f"{path}: an image entry without an 'id' and a 'file_name' ({str(entry)[:60]})"
    where = f"{path}: image '{entry['file_name']}' (id {entry['id']})"
    try:
        width, height = int(entry.get("width") or 0), int(entry.get("height") or 0)
    except (TypeError, ValueError):
        return None, f"{where}: width and height are not whole numbers ({entry.get('width')!r}, {entry.get('height')!r})"
    image = AnnotatedImage(entry["file_name"], image_path(images_dir, entry["file_name"]), width, height, annotated=False)
    if not image.path.is_file():
        return None, f"{where} not found in {images_dir}"
    if width <= 0 or height <= 0:
        return None, f"{where} has no width and height"
    return image, ""


def read_coco(path: Path, images_dir: Path) -> Annotations:
    """The export at `path`, its images looked for in `images_dir`. A category nobody uses that is another
    category's supercategory is left out: Roboflow declares its project that way (id 0, every class under it)."""
    document = load_json(path)
    if not is_coco(document):
        raise DataError(f"{path}: not a COCO instances file (it needs 'images' and 'annotations' lists)")
    declared = [c for c in document.get("categories") or [] if isinstance(c, dict) and _key(c.get("id"))]
    used = {a.get("category_id") for a in document["annotations"] if isinstance(a, dict) and _key(a.get("category_id"))}
    parents = {c.get("supercategory") for c in declared}
    categories = [Category(c["id"], str(c.get("name", c["id"]))) for c in declared
                  if c["id"] in used or str(c.get("name")) not in parents]
    known = {category.id for category in categories}
    result = Annotations(path, categories, [])
    by_id: dict[Any, AnnotatedImage] = {}
    for entry in document["images"]:
        image, problem = _image(entry, path, images_dir)
        if problem:
            result.problems.append(problem)
        else:
            by_id[entry["id"]] = image
            result.images.append(image)
    listed = {entry.get("id") for entry in document["images"] if isinstance(entry, dict) and _key(entry.get("id"))}
    for number, annotation in enumerate(document["annotations"]):
        if not isinstance(annotation, dict) or not _key(annotation.get("image_id")):
            result.problems.append(f"{path}: annotation {number} (in file order) is not an object with an 'image_id'")
            continue
        image = by_id.get(annotation["image_id"])
        if image is None:
            if annotation["image_id"] not in listed:
                result.problems.append(f"{path}: annotation {annotation.get('id')}: image id "
                                       f"{annotation['image_id']} is not among the file's images")
            continue   # its image is missing: said once above
        where = f"{path}: image '{image.file_name}', annotation {annotation.get('id')}"
        if not _key(annotation.get("category_id")) or annotation["category_id"] not in known:
            result.problems.append(f"{where}: category {annotation.get('category_id')} is not among the file's "
                                   f"categories ({', '.join(str(k) for k in sorted(known, key=str)) or 'none'})")
            continue
        region, problem = coco_region(annotation, image.height, image.width)
        image.annotated = True
        if problem:
            result.problems.append(f"{where}: {problem}")
        elif region is not None:
            image.regions.append(region)
    return result


def coco_region(annotation: dict, height: int, width: int) -> tuple[Region | None, str]:
    """A COCO annotation as a Region, or what is wrong with it."""
    segmentation = annotation.get("segmentation")
    region = Region(annotation["category_id"], annotation.get("id", ""), crowd=bool(annotation.get("iscrowd")),
                    score=annotation.get("score"))
    if isinstance(segmentation, dict):
        problem = rle_problem(segmentation, height, width)
        region.rle = segmentation
        return (None, problem) if problem else (region, "")
    if isinstance(segmentation, list) and segmentation:
        rings = segmentation if isinstance(segmentation[0], list) else [segmentation]
        for ring in rings:
            if not isinstance(ring, list) or not all(isinstance(v, (int, float)) for v in ring) or len(ring) % 2:
                return None, "a polygon whose coordinates are not x, y pairs of numbers"
            if len(ring) < 6:
                return None, f"a polygon of {len(ring) // 2} points (3 or more needed)"
        region.polygons = [list(ring) for ring in rings]
        return region, ""
    if annotation.get("bbox") and not segmentation:
        return None, "a box without a segmentation (unetkit trains on regions: export polygons or masks)"
    return None, "no segmentation"


def rle_problem(rle: dict, height: int, width: int) -> str:
    """What is wrong with an RLE for an image of height x width ('' when nothing)."""
    size, counts = rle.get("size"), rle.get("counts")
    if not (isinstance(size, list) and len(size) == 2) or counts is None:
        return "an RLE without 'size' [h, w] and 'counts'"
    if list(size) != [height, width]:
        return f"an RLE of size {size[0]}x{size[1]} on an image of {height}x{width} (h x w)"
    if isinstance(counts, list):
        if not all(isinstance(c, int) and c >= 0 for c in counts):
            return "RLE counts that are not whole numbers >= 0"
        if sum(counts) != height * width:
            return f"RLE counts that cover {sum(counts)} pixels, the image has {height * width}"
    elif isinstance(counts, str):
        try:
            runs = compressed_counts(counts)
        except ValueError as error:
            return f"compressed RLE counts that do not decode ({error})"
        if sum(runs) != height * width or min(runs, default=0) < 0:
            return f"compressed RLE counts that cover {sum(runs)} pixels, the image has {height * width}"
    else:
        return "RLE counts that are neither a list nor a string"
    return ""


def compressed_counts(text: str) -> list[int]:
    """The run lengths of COCO's compressed RLE string (maskApi.c rleFrString: 5 bits per character
    from '0', 0x20 continues, 0x10 signs the last, runs after the second stored as the difference to
    the run two back). Written out here only to check a file: pycocotools decodes a string whose runs
    do not add up to the image without complaint."""
    runs: list[int] = []
    position = 0
    while position < len(text):
        value, shift, more = 0, 0, True
        while more:
            if position >= len(text):
                raise ValueError("the string ends inside a run")
            code = ord(text[position]) - 48
            if not 0 <= code < 64:
                raise ValueError(f"character {text[position]!r} is not RLE")
            value |= (code & 0x1F) << shift
            more = bool(code & 0x20)
            position, shift = position + 1, shift + 5
            if not more and code & 0x10:
                value |= -1 << shift
        if len(runs) > 2:
            value += runs[-2]
        runs.append(value)
    return runs


def coco_entries(item: PredictedImage, image_id: int, first_annotation_id: int) -> tuple[dict, list[dict]]:
    """One image's entry and its annotations for a COCO file of predictions: one annotation per connected
    piece of a class (background left out), a polygon where the piece has no hole, compressed RLE where it
    has (COCO's polygons cannot hold a hole: their rings are joined), a `score` on each."""
    from pycocotools import mask as coco_mask
    height, width = item.label.shape
    annotations = []
    for region in label_regions(item.label, item.probabilities):
        if region.holes:
            rle = coco_mask.encode(np.asfortranarray(region.mask(height, width).astype(np.uint8)))
            segmentation: Any = {"size": [height, width], "counts": rle["counts"].decode("ascii")}
        else:
            segmentation = [region.outer]
        annotations.append({"id": first_annotation_id + len(annotations), "image_id": image_id,
                            "category_id": region.class_id, "segmentation": segmentation, "area": region.area,
                            "bbox": list(region.box), "iscrowd": 0,
                            **({"score": round(region.score, 4)} if region.score is not None else {})})
    return {"id": image_id, "file_name": item.file_name, "width": width, "height": height}, annotations


def coco_header(class_names: list[str]) -> dict:
    """A COCO file's frame: the categories (ids = unetkit's class ids, background left out)."""
    return {"info": {"description": "unetkit predictions: pre-annotations to correct"}, "licenses": [],
            "categories": [{"id": i, "name": name, "supercategory": ""} for i, name in enumerate(class_names) if i],
            "images": [], "annotations": []}


def coco_document(predicted: list[PredictedImage], class_names: list[str]) -> dict:
    """Predictions as a COCO instances file to import and correct (coco_entries per image)."""
    document = coco_header(class_names)
    for image_id, item in enumerate(predicted, start=1):
        image, annotations = coco_entries(item, image_id, len(document["annotations"]) + 1)
        document["images"].append(image)
        document["annotations"] += annotations
    return document
