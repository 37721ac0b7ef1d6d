"""Calibration: does a pixel scored 0.8 turn out right 80 % of the time? The expected calibration
error (ECE, Guo et al. 2017) over 15 equal-width confidence bins, accumulated like the confusion
matrix (fixed memory, inside the ROI, the ignore label left out).

- `ece`: top-label ECE, the confidence of the predicted class (max probability) against whether it
  is the true class; for two classes that is the foreground probability folded at 0.5.
- `ece_per_class` (more than two classes): class-wise ECE, each class's own probability against
  whether the pixel is of that class (Kull et al. 2019's classwise-ECE, one value per class).
The per-bin counts behind them (`reliability()`) draw the reliability diagram of `unetkit report`.
"""
from __future__ import annotations

import math

import torch

BINS = 15


def _bin_of(values: torch.Tensor, bins: int) -> torch.Tensor:
    """Bin index of probabilities in [0, 1]: [0, 1/15), ..., [14/15, 1] (1.0 in the last bin)."""
    return (values * bins).to(torch.int64).clamp_(0, bins - 1)


class CalibrationBins:
    """Per bin: pixel count, summed confidence, summed correctness (top-label), and per class the same
    for each class's own probability (class-wise)."""

    def __init__(self, num_classes: int, bins: int = BINS):
        self.num_classes, self.bins = num_classes, bins
        self.counts = torch.zeros(bins, dtype=torch.float64)
        self.confidence = torch.zeros(bins, dtype=torch.float64)
        self.correct = torch.zeros(bins, dtype=torch.float64)
        self.class_counts = torch.zeros(num_classes, bins, dtype=torch.float64)
        self.class_probability = torch.zeros(num_classes, bins, dtype=torch.float64)
        self.class_frequency = torch.zeros(num_classes, bins, dtype=torch.float64)

    def tensors(self) -> list[torch.Tensor]:
        """The accumulators, for summing over training ranks."""
        return [self.counts, self.confidence, self.correct, self.class_counts, self.class_probability,
                self.class_frequency]

    def update(self, probabilities: torch.Tensor, labels: torch.Tensor, valid: torch.Tensor) -> None:
        """probabilities float (N, K, H, W), labels int64 (N, H, W), valid bool (N, H, W)."""
        probabilities = probabilities.permute(0, 2, 3, 1)[valid].float()   # (P, K); sums per image in float64
        truth = labels[valid]
        if truth.numel() == 0:
            return
        confidence, predicted = probabilities.max(1)
        index = _bin_of(confidence, self.bins)
        self.counts += torch.bincount(index, minlength=self.bins).double()
        self.confidence += torch.bincount(index, weights=confidence, minlength=self.bins).double()
        self.correct += torch.bincount(index, weights=(predicted == truth).float(), minlength=self.bins).double()
        if self.num_classes > 2:
            for c in range(self.num_classes):
                own = probabilities[:, c]
                index = _bin_of(own, self.bins)
                self.class_counts[c] += torch.bincount(index, minlength=self.bins).double()
                self.class_probability[c] += torch.bincount(index, weights=own, minlength=self.bins).double()
                self.class_frequency[c] += torch.bincount(index, weights=(truth == c).float(),
                                                          minlength=self.bins).double()

    @staticmethod
    def _ece(counts: torch.Tensor, predicted: torch.Tensor, observed: torch.Tensor) -> float:
        total = counts.sum()
        if total == 0:
            return float("nan")
        return float(((predicted - observed).abs()).sum() / total)   # sum_b n_b/N |conf_b - acc_b|

    def compute(self, class_names: list[str]) -> dict:
        result = {"ece": self._ece(self.counts, self.confidence, self.correct)}
        if self.num_classes > 2:
            result["ece_per_class"] = {
                name: (self._ece(self.class_counts[c], self.class_probability[c], self.class_frequency[c])
                       if self.class_counts[c].sum() else math.nan) for c, name in enumerate(class_names)}
        return result

    def reliability(self) -> dict[str, list[float]]:
        """The top-label reliability diagram: per bin its centre, mean confidence, accuracy and share of
        pixels (NaN for an empty bin)."""
        counts = self.counts
        share = (counts / counts.sum()).tolist() if counts.sum() else [0.0] * self.bins
        mean = [float(c / n) if n else math.nan for c, n in zip(self.confidence, counts)]
        accuracy = [float(c / n) if n else math.nan for c, n in zip(self.correct, counts)]
        return {"centre": [(b + 0.5) / self.bins for b in range(self.bins)], "confidence": mean,
                "accuracy": accuracy, "share": share}
