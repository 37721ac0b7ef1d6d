"""Metrics of each image on its own: a table to find the images (and classes) a model fails on.

Per image: F1 (binary) or mIoU (multi-class) and every class's IoU; with `surface=True` also each
foreground class's hd95, assd and surface Dice (surface.py) and, for binary tasks, clDice.
`rows()` lists the images worst first; `summary()` averages the surface metrics per class over the
images where they are defined, for evaluate's JSON and table.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from ..labels import IGNORE_INDEX
from .surface import SURFACE_METRICS, cldice_score, surface_scores


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else float("nan")


def _nanmean(values) -> float:
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else float("nan")


class PerImageScores:
    """Feed `update(name, predicted, labels)` per image; read `rows()`, `summary()`, `write_csv()`."""

    def __init__(self, class_names: list[str], surface: bool = False, tolerance: float = 2.0,
                 ignore_index: int = IGNORE_INDEX):
        self.class_names = list(class_names)
        self.surface = surface
        self.tolerance = tolerance
        self.ignore_index = ignore_index
        self._rows: list[dict] = []

    @property
    def binary(self) -> bool:
        return len(self.class_names) == 2

    @property
    def score_key(self) -> str:
        return "f1" if self.binary else "miou"

    def update(self, name: str, predicted: np.ndarray, labels: np.ndarray) -> None:
        """predicted and true class ids (H, W); ignored pixels count as background in the surface
        metrics (the prediction is blanked there too) and are left out of the overlap ones."""
        predicted, labels = np.asarray(predicted), np.asarray(labels)
        valid = labels != self.ignore_index
        row: dict = {"image": name}
        ious = {}
        for index, class_name in enumerate(self.class_names):
            is_predicted, is_true = (predicted == index) & valid, (labels == index) & valid
            intersection = (is_predicted & is_true).sum()
            ious[class_name] = _ratio(intersection, (is_predicted | is_true).sum())
            if index == 1 and self.binary:
                row["f1"] = _ratio(2 * intersection, is_predicted.sum() + is_true.sum())
            if self.surface and index > 0:
                for metric, value in surface_scores(is_predicted, is_true, self.tolerance).items():
                    row[f"{metric}_{class_name}"] = value
                if self.binary:
                    row["cldice"] = cldice_score(is_predicted, is_true)
        if not self.binary:
            row["miou"] = _nanmean(ious.values())
        row.update({f"iou_{class_name}": value for class_name, value in ious.items()})
        self._rows.append(row)

    def rows(self) -> list[dict]:
        """One dict per image, worst first (by F1 for binary tasks, mIoU otherwise; undefined last)."""
        key = self.score_key
        return sorted(self._rows, key=lambda row: (math.isnan(row[key]), row[key]))

    def summary(self) -> dict:
        """Mean over images (where defined) of each surface metric, per foreground class; for binary
        tasks also the plain names (hd95, assd, surface_dice, cldice) for the foreground class."""
        if not self.surface or not self._rows:
            return {}
        result: dict = {}
        for metric in SURFACE_METRICS:
            per_class = {name: _nanmean(row[f"{metric}_{name}"] for row in self._rows) for name in self.class_names[1:]}
            result[f"{metric}_per_class"] = per_class
            result[metric] = per_class[self.class_names[1]] if self.binary else _nanmean(per_class.values())
        if self.binary:
            result["cldice"] = _nanmean(row["cldice"] for row in self._rows)
        return result

    def write_csv(self, path: str | Path) -> Path:
        rows = self.rows()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(rows[0]) if rows else ["image"])
            writer.writeheader()
            for row in rows:
                writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
        return path
