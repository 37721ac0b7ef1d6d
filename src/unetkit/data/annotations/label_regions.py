"""The way back: a class-id label map as regions a person can correct in an annotation tool.

Each connected piece of a class (8-connected, as contours follow it) becomes one region with its mask,
its box, its outline and a score (the mean confidence over its pixels, where probabilities are given).
Outlines are traced on the map at twice its size and halved, which puts each vertex a quarter pixel
inside the pixel edge: pycocotools then paints back the same pixels (a traced-through-centres outline
loses about 4% of them along the border). A piece with holes keeps them as inner rings; the writers
put such a piece as RLE where the format has one, so that nothing is filled in.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class LabelRegion:
    """One connected piece of one class, kept as its box and the mask inside it (a thousand specks of a
    2000x2000 map must not cost a thousand full-size masks). `outer`: its outline (x0, y0, x1, y1, ...) in
    the image; `holes`: inner rings."""
    class_id: int
    crop: np.ndarray                 # (height, width) bool: the piece inside its box
    box: tuple[int, int, int, int]   # left, top, width, height in pixels
    outer: list[float]
    holes: list[list[float]]
    score: float | None

    @property
    def area(self) -> int:
        return int(self.crop.sum())

    def mask(self, height: int, width: int) -> np.ndarray:
        """The piece in a full (height, width) bool array."""
        left, top, box_width, box_height = self.box
        full = np.zeros((height, width), dtype=bool)
        full[top:top + box_height, left:left + box_width] = self.crop
        return full


def _rings(piece: np.ndarray) -> tuple[list[float], list[list[float]]]:
    """The outline and hole rings of one 8-connected piece, traced at twice the size (module docstring)."""
    height, width = piece.shape
    doubled = cv2.resize(piece.astype(np.uint8), (width * 2, height * 2), interpolation=cv2.INTER_NEAREST)
    contours, hierarchy = cv2.findContours(doubled, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    outer: list[float] = []
    holes: list[list[float]] = []
    for contour, (_, _, _, parent) in zip(contours, hierarchy[0], strict=True):
        ring = ((contour.reshape(-1, 2) + 0.5) / 2).round(2).ravel().tolist()
        if len(ring) < 6:   # a single pixel traces to one or two points: a ring needs three
            ring = (ring * 3)[:6]
        if parent < 0 and len(ring) > len(outer):
            outer = ring
        elif parent >= 0:
            holes.append(ring)
    return outer, holes


def label_regions(label: np.ndarray, probabilities: np.ndarray | None = None, skip: tuple[int, ...] = (0, 255),
                  min_area: int = 1) -> list[LabelRegion]:
    """The regions of a (H, W) class-id map, class by class, largest first; `skip`: ids that are no
    region (background, ignore); `probabilities`: (C, H, W) for each region's score."""
    regions: list[LabelRegion] = []
    for class_id in (int(v) for v in np.unique(label) if int(v) not in skip):
        count, pieces, stats, _ = cv2.connectedComponentsWithStats((label == class_id).astype(np.uint8), connectivity=8)
        for index in sorted(range(1, count), key=lambda i: -stats[i, cv2.CC_STAT_AREA]):
            if stats[index, cv2.CC_STAT_AREA] < min_area:
                continue
            left, top, width, height = (int(v) for v in stats[index, :4])
            crop = pieces[top:top + height, left:left + width] == index
            outer, holes = _rings(crop)
            outer = (np.asarray(outer) + np.tile([left, top], len(outer) // 2)).round(2).tolist()
            holes = [(np.asarray(h) + np.tile([left, top], len(h) // 2)).round(2).tolist() for h in holes]
            score = (float(probabilities[class_id, top:top + height, left:left + width][crop].mean())
                     if probabilities is not None else None)
            regions.append(LabelRegion(class_id, crop, (left, top, width, height), outer, holes, score))
    return regions
