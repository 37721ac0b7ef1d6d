"""Annotation exports made the way tools make them, from label maps the tests know: images, their maps
and a COCO file in one of the layouts exports come in."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from unetkit.data.annotations.coco import coco_document
from unetkit.data.annotations.regions import PredictedImage

from ...conftest import write_png

CLASSES = ["background", "building", "window", "car"]


def scene_label(seed: int, size: tuple[int, int] = (48, 64)) -> np.ndarray:
    """A facade (1) with windows (2, holes in it) and a car (3) in front; (height, width) uint8."""
    rng = np.random.default_rng(seed)
    height, width = size
    label = np.zeros(size, np.uint8)
    top = int(rng.integers(2, height // 3))
    label[top:height - 8, 4:width - 4] = 1
    for row in range(top + 3, height - 14, 9):
        for column in range(8, width - 10, 12):
            label[row:row + 5, column:column + 4] = 2
    cx = int(rng.integers(12, width - 12))
    cv2.ellipse(label, (cx, height - 8), (10, 5), 0, 0, 360, 3, -1)
    return label


def scene_image(label: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 100)
    colours = np.array([[90, 140, 200], [150, 120, 100], [40, 60, 80], [200, 30, 30]], np.uint8)
    noise = rng.integers(0, 20, (*label.shape, 3))
    return np.clip(colours[label].astype(int) + noise, 0, 255).astype(np.uint8)


def write_coco_split(folder: Path, file: Path, count: int, seed: int, names: list[str] | None = None) -> dict[str, np.ndarray]:
    """`count` images in `folder` and their COCO file `file`; returns name -> label map."""
    labels = {}
    predicted = []
    for index in range(count):
        label = scene_label(seed + index)
        name = f"img{seed + index:03d}"
        write_png(folder / f"{name}.png", scene_image(label, seed + index))
        labels[name] = label
        predicted.append(PredictedImage(f"{name}.png", label))
    document = coco_document(predicted, names or CLASSES)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps(document))
    return labels


def write_roboflow_coco(root: Path, train: int = 6, val: int = 2) -> dict[str, np.ndarray]:
    """The Roboflow export: train/_annotations.coco.json beside its images, valid/ likewise."""
    labels = write_coco_split(root / "train", root / "train" / "_annotations.coco.json", train, 0)
    if val:
        labels |= write_coco_split(root / "valid", root / "valid" / "_annotations.coco.json", val, 50)
    return labels
