"""ISBI 2012 challenge scoring: the foreground-restricted Rand error of a segmentation into objects.

Predicted and true foreground (cell interiors) are split into 4-connected components; the Rand
F-score compares the two partitions counting only pixels that are foreground in the ground truth
(the challenge's form, identical to scikit-image's `adapted_rand_error`). Rand error = 1 - F.
"""
from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

from ..labels import IGNORE_INDEX


def adapted_rand_error(true_segments: np.ndarray, predicted_segments: np.ndarray) -> tuple[float, float, float]:
    """(error, precision, recall) of two label images (0 in `true_segments` = not counted)."""
    keep = true_segments.ravel() != 0
    true = true_segments.ravel()[keep].astype(np.int64)
    predicted = predicted_segments.ravel()[keep].astype(np.int64)
    if true.size == 0:
        return float("nan"), float("nan"), float("nan")
    _, true = np.unique(true, return_inverse=True)
    _, predicted = np.unique(predicted, return_inverse=True)
    joint = np.bincount(true * (predicted.max() + 1) + predicted).astype(np.float64)
    true_sizes = np.bincount(true).astype(np.float64)
    predicted_sizes = np.bincount(predicted).astype(np.float64)
    pairs_joint = joint @ joint - true.size
    precision = pairs_joint / (predicted_sizes @ predicted_sizes - true.size)
    recall = pairs_joint / (true_sizes @ true_sizes - true.size)
    fscore = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return float(1 - fscore), float(precision), float(recall)


def segment_foreground(mask: np.ndarray) -> np.ndarray:
    """4-connected components of a boolean foreground mask; 0 = background. int32 (H, W)."""
    segments, _ = ndimage.label(mask)
    return segments


class RandErrorScores:
    """Mean Rand error over images, from predicted labels (H, W) and true labels (H, W) (1 = object)."""

    def __init__(self, ignore_index: int = IGNORE_INDEX):
        self.ignore_index = ignore_index
        self.errors: list[float] = []

    def update(self, predicted_labels: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray) -> None:
        predicted_labels, labels = np.asarray(predicted_labels), np.asarray(labels)
        valid = labels != self.ignore_index
        true_segments = segment_foreground((labels == 1) & valid)
        predicted_segments = segment_foreground((predicted_labels == 1) & valid)
        error, _, _ = adapted_rand_error(true_segments, predicted_segments)
        if not np.isnan(error):
            self.errors.append(error)

    def merge_all(self, shares: list[RandErrorScores]) -> None:
        self.errors = [error for share in shares for error in share.errors]

    def compute(self) -> dict:
        return {"rand_error": float(np.mean(self.errors)) if self.errors else float("nan")}
