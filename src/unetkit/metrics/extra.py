"""Metrics some data formats are scored with besides the usual ones, registered by name.

A data format lists the names in its `extra_metrics` (ISBI 2012: the challenge's pixel and Rand
errors); the evaluator makes one scorer per name, feeds it predicted and true labels per image,
and merges what `compute` returns into the metrics.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from ..labels import IGNORE_INDEX
from ..registry import Registry
from .rand_error import RandErrorScores


class Scorer(Protocol):
    def update(self, predicted_labels: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray) -> None: ...

    def compute(self) -> dict[str, float]: ...

    def merge_all(self, shares: list) -> None:
        """Become the combination of `shares` (every rank's scorer, this one's included)."""


@dataclass(frozen=True)
class ExtraMetric:
    name: str
    make_scorer: Callable[[int], Scorer]   # ignore_index -> a fresh scorer
    lower_is_better: bool = False


class PixelErrorScores:
    """The ISBI challenge's pixel error: the share of non-ignored pixels whose predicted label is wrong."""

    def __init__(self, ignore_index: int = IGNORE_INDEX):
        self.ignore_index = ignore_index
        self.wrong = self.counted = 0

    def update(self, predicted_labels: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray) -> None:
        predicted_labels, labels = np.asarray(predicted_labels), np.asarray(labels)
        valid = labels != self.ignore_index
        self.wrong += int((predicted_labels[valid] != labels[valid]).sum())
        self.counted += int(valid.sum())

    def merge_all(self, shares: list[PixelErrorScores]) -> None:
        self.wrong, self.counted = sum(s.wrong for s in shares), sum(s.counted for s in shares)

    def compute(self) -> dict[str, float]:
        return {"pixel_error": self.wrong / self.counted if self.counted else float("nan")}


EXTRA_METRICS: Registry[ExtraMetric] = Registry("extra metric")
EXTRA_METRICS.register("pixel_error", ExtraMetric("pixel_error", PixelErrorScores, lower_is_better=True))
EXTRA_METRICS.register("rand_error", ExtraMetric("rand_error", RandErrorScores, lower_is_better=True))

