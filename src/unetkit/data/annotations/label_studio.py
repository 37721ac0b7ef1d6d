"""Label Studio's JSON export (a list of tasks) in, pre-annotations (tasks with `predictions`) out.

A task's image is `data.image` (or the task's only image-like value): an upload (`/data/upload/<project>/
<8 hex>-<name>`, the prefix Label Studio adds), a local file (`/data/local-files/?d=<path>`) or a URL; it is
looked for by name in the images folder. Each task's newest annotation that was not cancelled is read:
BrushLabels (Label Studio's RLE, label_studio_rle.py), PolygonLabels and RectangleLabels (percent of the
image, rectangles turned by `rotation` about their top-left corner). There is no category list in the
export: the classes are the labels used, in name order, after background.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import numpy as np
from PIL import Image

from ...errors import DataError
from .coco import load_json
from .label_studio_rle import mask_to_rle, rle_to_mask
from .rasterise import IGNORE, rasterise
from .regions import BACKGROUND_NAMES, AnnotatedImage, Annotations, Category, PredictedImage, Region

UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")
REGION_TYPES = ("brushlabels", "polygonlabels", "rectanglelabels", "ellipselabels")


def is_label_studio(document: Any) -> bool:
    """A list of tasks (the first is one: the others are checked as they are read)."""
    first = document[0] if isinstance(document, list) and document else None
    return isinstance(first, dict) and isinstance(first.get("data"), dict) and any(
        key in first for key in ("annotations", "completions", "predictions"))


def image_reference(task: dict) -> str | None:
    data = task.get("data") or {}
    if isinstance(data.get("image"), str):
        return data["image"]
    values = [v for v in data.values() if isinstance(v, str) and Path(urlparse(v).path).suffix]
    return values[0] if len(values) == 1 else None


def file_name(reference: str) -> str:
    parsed = urlparse(reference)
    if "d" in parse_qs(parsed.query):   # /data/local-files/?d=dir/name.jpg
        return Path(unquote(parse_qs(parsed.query)["d"][0])).name
    return Path(unquote(parsed.path)).name


def find_image(images_dir: Path, reference: str) -> Path:
    name = file_name(reference)
    for candidate in (name, UPLOAD_PREFIX.sub("", name)):
        if (images_dir / candidate).is_file():
            return images_dir / candidate
    return images_dir / UPLOAD_PREFIX.sub("", name)


def _chosen_annotation(task: dict) -> dict | None:
    done = [a for a in task.get("annotations", task.get("completions")) or []
            if isinstance(a, dict) and not a.get("was_cancelled")]
    return max(done, key=lambda a: str(a.get("updated_at") or a.get("created_at") or "")) if done else None


def read_label_studio(path: Path, images_dir: Path) -> Annotations:
    """The export at `path`, its images looked for in `images_dir`."""
    document = load_json(path)
    if not is_label_studio(document):
        raise DataError(f"{path}: not a Label Studio JSON export (a list of tasks with 'data' and 'annotations')")
    result = Annotations(path, [], [])
    labels: set[str] = set()
    for number, task in enumerate(document):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            result.problems.append(f"{path}: task {number} (in file order) is not an object with 'data'")
            continue
        reference = image_reference(task)
        if reference is None:
            result.problems.append(f"{path}: task {task.get('id')}: no image in its data ({str(task.get('data'))[:60]})")
            continue
        image_file = find_image(images_dir, reference)
        if not image_file.is_file():
            result.problems.append(f"{path}: task {task.get('id')}: image '{file_name(reference)}' not found in {images_dir}")
            continue
        annotation = _chosen_annotation(task)
        items = [item for item in (annotation or {}).get("result") or [] if isinstance(item, dict)]
        width, height = _size(items, image_file)
        regions, problems = _regions(task, items, width, height)
        result.problems += [f"{path}: task {task.get('id')}, image '{image_file.name}', {problem}" for problem in problems]
        labels.update(str(region.category) for region in regions)
        result.images.append(AnnotatedImage(image_file.name, image_file, width, height, regions,
                                            annotated=annotation is not None))
    result.categories = [Category(name, name) for name in sorted(labels)]
    return result


def annotation_label_map(task: dict, width: int, height: int, class_of_label: dict[str, int]
                         ) -> tuple[np.ndarray | None, list[str]]:
    """The (height, width) uint8 class map of a task's newest annotation (None when it has none), with each
    label's class from `class_of_label`; a region of a label not in it is painted IGNORE (unknown to the
    model: neither trained on nor judged), what no region covers is background; and one line per region that
    could not be read."""
    annotation = _chosen_annotation(task)
    if annotation is None:
        return None, []
    items = [item for item in annotation.get("result") or [] if isinstance(item, dict)]
    regions, problems = _regions(task, items, width, height)
    image = AnnotatedImage(str(task.get("id")), Path(), width, height, regions)
    classes = {**{region.category: IGNORE for region in regions}, **class_of_label}
    return rasterise(image, classes), [f"task {task.get('id')}, {problem}" for problem in problems]


def _regions(task: dict, items: list[dict], width: int, height: int) -> tuple[list[Region], list[str]]:
    """An annotation's drawn regions, and 'region ID: what is wrong' for those that cannot be read."""
    regions, problems = [], []
    for item in items:
        if item.get("type") not in REGION_TYPES:
            continue   # choices, text, key points: nothing to paint
        try:
            region, problem = _region(item, width, height, f"{task.get('id')}/{item.get('id')}")
        except (TypeError, ValueError, AttributeError) as error:
            region, problem = None, f"unreadable ({error})"
        if problem:
            problems.append(f"region {item.get('id')}: {problem}")
        elif region is not None:
            regions.append(region)
    return regions, problems


def _size(items: list[dict], image_file: Path) -> tuple[int, int]:
    for item in items:
        try:
            if int(item.get("original_width") or 0) > 0 and int(item.get("original_height") or 0) > 0:
                return int(item["original_width"]), int(item["original_height"])
        except (TypeError, ValueError):
            continue   # the image says
    with Image.open(image_file) as opened:
        return opened.size


def _region(item: dict, width: int, height: int, region_id: str) -> tuple[Region | None, str]:
    kind, value = item["type"], item.get("value") or {}
    if not isinstance(value, dict):
        return None, f"a {kind} region whose value is not an object"
    names = value.get(kind)
    if not isinstance(names, list) or not names:
        return None, f"a {kind} region without a label"
    region = Region(str(names[0]), region_id, score=item.get("score"))
    if kind == "brushlabels":
        if value.get("format", "rle") != "rle" or not isinstance(value.get("rle"), list):
            return None, "a brush without its RLE"
        try:
            region.mask = rle_to_mask(value["rle"], height, width)
        except ValueError as error:
            return None, f"a brush RLE that does not fit the {width}x{height} image: {error}"
    elif kind == "polygonlabels":
        points = value.get("points") or []
        if len(points) < 3:
            return None, f"a polygon of {len(points)} points (3 or more needed)"
        region.polygons = [[c for x, y in points for c in (x * width / 100, y * height / 100)]]
    elif kind == "ellipselabels":   # centre x, y and radii in percent, turned by `rotation` degrees
        import cv2
        cx, cy, rx, ry = (float(value.get(k, 0)) * scale / 100 for k, scale in
                          (("x", width), ("y", height), ("radiusX", width), ("radiusY", height)))
        ring = cv2.ellipse2Poly((round(cx), round(cy)), (max(1, round(rx)), max(1, round(ry))),
                                round(float(value.get("rotation") or 0)), 0, 360, 5)
        region.polygons = [ring.astype(float).ravel().tolist()]
    else:
        x, y, w, h = (float(value.get(k, 0)) * scale / 100 for k, scale in
                      (("x", width), ("y", height), ("width", width), ("height", height)))
        turn = math.radians(float(value.get("rotation") or 0))
        corners = [(0, 0), (w, 0), (w, h), (0, h)]
        region.polygons = [[c for dx, dy in corners for c in
                            (x + dx * math.cos(turn) - dy * math.sin(turn), y + dx * math.sin(turn) + dy * math.cos(turn))]]
    return region, ""


def brush_results(item: PredictedImage, class_labels: dict[int, str], from_name: str = "tag",
                  to_name: str = "image") -> list[dict]:
    """A prediction's regions: one brush per class present that has a label (`class_labels`: class id ->
    the project's label; Label Studio edits a class's pixels as one brush), each with the class's mean
    confidence over its pixels as its score."""
    height, width = item.label.shape
    results = []
    for class_id in (int(v) for v in np.unique(item.label) if int(v) in class_labels):
        mask = item.label == class_id
        score = float(item.probabilities[class_id][mask].mean()) if item.probabilities is not None else None
        results.append({"id": f"unetkit-{class_id}", "type": "brushlabels", "from_name": from_name, "to_name": to_name,
                        "original_width": width, "original_height": height, "image_rotation": 0,
                        "value": {"format": "rle", "rle": mask_to_rle(mask), "brushlabels": [class_labels[class_id]]},
                        **({"score": round(score, 4)} if score is not None else {})})
    return results


def drawn_classes(class_names: list[str]) -> dict[int, str]:
    """Every class but background (class 0 and the classes named like background), by its own name."""
    return {index: name for index, name in enumerate(class_names)
            if index > 0 and name.lower() not in BACKGROUND_NAMES}


def label_studio_task(item: PredictedImage, class_names: list[str], image_url: str = "", from_name: str = "tag",
                      to_name: str = "image", model_version: str = "unetkit") -> dict:
    """One image's pre-annotation task (brush_results), scored by its own score (review's) or else its regions'
    mean confidence, with its current label as the task's annotation when it has one (review). `from_name` /
    `to_name`: the BrushLabels and Image tag names of the project's labelling config."""
    results = brush_results(item, drawn_classes(class_names), from_name, to_name)
    scores = [r["score"] for r in results if "score" in r]
    score = item.score if item.score is not None else float(np.mean(scores)) if scores else None
    prediction = {"model_version": model_version, "result": results,
                  **({"score": round(float(score), 6)} if score is not None else {})}
    task = {"data": {"image": f"{image_url}{item.file_name}"}, "predictions": [prediction]}
    if item.label_now is not None:   # review: the label as it is, for the annotator to correct or replace
        task["annotations"] = [{"result": brush_results(PredictedImage(item.file_name, item.label_now),
                                                        drawn_classes(class_names), from_name, to_name)}]
    return task


def label_studio_tasks(predicted: list[PredictedImage], class_names: list[str], image_url: str = "") -> list[dict]:
    """Pre-annotations to import: a task per image (label_studio_task)."""
    return [label_studio_task(item, class_names, image_url) for item in predicted]
