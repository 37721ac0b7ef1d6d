"""Segmentation metrics accumulated over a dataset: a confusion matrix (and, for binary tasks, score
histograms for ROC AUC), so memory stays constant however many pixels are scored.

Pixels with the ignore label (which includes everything outside the ROI) are never counted.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..labels import IGNORE_INDEX
from .calibration import CalibrationBins

AUC_BINS = 65536  # probabilities are binned to 1/65535: exact AUC for scores on that grid


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else float("nan")


def _nanmean(values) -> float:
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else float("nan")


class SegmentationMetrics:
    """Accumulate predictions with `update`, read every metric with `compute`."""

    def __init__(self, num_classes: int, class_names: list[str] | None = None, threshold: float = 0.5,
                 ignore_index: int = IGNORE_INDEX):
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.class_names = class_names or [str(i) for i in range(num_classes)]
        self.threshold = threshold
        self.confusion = torch.zeros(num_classes, num_classes, dtype=torch.int64)  # [true, predicted]
        self.positive_histogram = torch.zeros(AUC_BINS, dtype=torch.int64)
        self.negative_histogram = torch.zeros(AUC_BINS, dtype=torch.int64)
        self.calibration = CalibrationBins(num_classes)

    def summed_tensors(self) -> list[torch.Tensor]:
        """Every accumulator that is a sum over pixels (training ranks all-reduce them)."""
        return [self.confusion, self.positive_histogram, self.negative_histogram, *self.calibration.tensors()]

    @property
    def binary(self) -> bool:
        return self.num_classes == 2

    def update(self, probabilities: torch.Tensor, labels: torch.Tensor, predicted: torch.Tensor | None = None) -> None:
        """probabilities float (C, H, W) or (N, C, H, W); labels int (H, W) or (N, H, W) (ignore label left
        out); predicted class ids shaped as labels when they are not simply the threshold / argmax of the
        probabilities (post-processed label maps)."""
        if probabilities.dim() == 3:
            probabilities, labels = probabilities.unsqueeze(0), labels.unsqueeze(0)
            predicted = None if predicted is None else predicted.unsqueeze(0)
        probabilities = probabilities.detach().float().cpu()
        labels = labels.detach().to(torch.int64).cpu()
        valid = labels != self.ignore_index
        foreground = probabilities[:, 1] if self.binary else None
        if predicted is not None:
            predicted = predicted.detach().to(torch.int64).cpu()
        elif self.binary:
            predicted = (foreground > self.threshold).to(torch.int64)
        else:
            predicted = probabilities.argmax(1)
        self.calibration.update(probabilities, labels, valid)
        truth = labels[valid]
        self.confusion += torch.bincount(truth * self.num_classes + predicted[valid],
                                         minlength=self.num_classes ** 2).view(self.num_classes, self.num_classes)
        if self.binary:
            bins = (foreground[valid] * (AUC_BINS - 1) + 0.5).clamp(0, AUC_BINS - 1).to(torch.int64)
            self.positive_histogram += torch.bincount(bins[truth == 1], minlength=AUC_BINS)
            self.negative_histogram += torch.bincount(bins[truth == 0], minlength=AUC_BINS)

    def auc(self) -> float:
        """Area under the ROC curve from the score histograms (ties handled as sklearn does)."""
        curves = self.curves()
        return float(np.trapezoid(curves["tpr"], curves["fpr"])) if curves else float("nan")

    def curves(self) -> dict[str, np.ndarray]:
        """Binary models: the ROC curve (fpr, tpr) and the precision-recall curve (recall, precision)
        over the score thresholds of the histograms, highest threshold first; {} when either class is
        absent (or the model is multi-class). `average_precision` is the step-wise area under PR."""
        positives = self.positive_histogram.flip(0).double().cumsum(0).numpy()
        negatives = self.negative_histogram.flip(0).double().cumsum(0).numpy()
        if not self.binary or positives[-1] == 0 or negatives[-1] == 0:
            return {}
        tpr = np.concatenate([[0.0], positives / positives[-1]])
        fpr = np.concatenate([[0.0], negatives / negatives[-1]])
        predicted = positives + negatives
        precision = np.divide(positives, predicted, out=np.ones_like(positives), where=predicted > 0)
        recall = positives / positives[-1]
        average_precision = float(np.sum(np.diff(np.concatenate([[0.0], recall])) * precision))
        return {"fpr": fpr, "tpr": tpr, "recall": np.concatenate([[0.0], recall]),
                "precision": np.concatenate([[1.0], precision]), "average_precision": average_precision}

    def compute(self) -> dict:
        """All metrics as a JSON-ready dict (NaN where a metric is undefined, e.g. no positives)."""
        confusion = self.confusion.double()
        true_positive = confusion.diag()
        support = confusion.sum(1)        # pixels of each true class
        predicted = confusion.sum(0)      # pixels predicted as each class
        total = confusion.sum()
        recall = [_ratio(true_positive[c], support[c]) for c in range(self.num_classes)]
        precision = [_ratio(true_positive[c], predicted[c]) for c in range(self.num_classes)]
        iou = [_ratio(true_positive[c], support[c] + predicted[c] - true_positive[c]) for c in range(self.num_classes)]
        f1 = [_ratio(2 * true_positive[c], support[c] + predicted[c]) for c in range(self.num_classes)]
        result = {
            "pixel_accuracy": _ratio(true_positive.sum(), total),
            "mean_accuracy": _nanmean(recall),   # mPA = mRecall: the mean of the per-class recalls
            "mean_precision": _nanmean(precision),
            "iou_per_class": dict(zip(self.class_names, iou)),
            "recall_per_class": dict(zip(self.class_names, recall)),
            "precision_per_class": dict(zip(self.class_names, precision)),
            "f1_per_class": dict(zip(self.class_names, f1)),
            "miou": _nanmean(iou),
        }
        result.update(self.calibration.compute(self.class_names))
        if self.binary:  # the foreground class is the positive class
            result.update(precision=precision[1], recall=recall[1], f1=f1[1], dice=f1[1], auc=self.auc(),
                          sensitivity=recall[1], specificity=recall[0])
        else:  # macro averages over the classes that occur
            result.update(precision=_nanmean(precision), recall=_nanmean(recall), f1=_nanmean(f1), dice=_nanmean(f1))
        return result

    def confusion_matrix(self) -> np.ndarray:
        """Pixel counts int64 (K, K): rows the true class, columns the predicted one."""
        return self.confusion.numpy().copy()
