"""Every scalar metric by name: the one list that train.monitor, the tables, reports and comparisons
read (registered with the config key train.monitor, so the config takes its choices from here).

`every_evaluation`: computed by SegmentationMetrics on any data; the others are a data format's extra
metrics (extra.py: ISBI's pixel and Rand errors), scored only where that format lists them."""
from __future__ import annotations

from dataclasses import dataclass

from ..registry import Registry


@dataclass(frozen=True)
class MetricName:
    name: str
    description: str
    every_evaluation: bool = True
    lower_is_better: bool = False
    binary_only: bool = False          # defined for two classes (the foreground is the positive class)


METRIC_NAMES: Registry[MetricName] = Registry("metric", config_key="train.monitor")
for metric in (
    MetricName("f1", "F1 of the foreground (binary), or the mean F1 over the classes"),
    MetricName("dice", "the same as f1 (Dice = F1 on pixels)"),
    MetricName("miou", "mean intersection over union over the classes that occur"),
    MetricName("auc", "area under the ROC curve of the foreground probability", binary_only=True),
    MetricName("pixel_accuracy", "share of pixels labelled right"),
    MetricName("mean_accuracy", "mean of the per-class recalls (mPA)"),
    MetricName("precision", "precision of the foreground (binary), or the mean over the classes"),
    MetricName("recall", "recall of the foreground (binary), or the mean over the classes"),
    MetricName("sensitivity", "recall of the foreground", binary_only=True),
    MetricName("specificity", "recall of the background", binary_only=True),
    MetricName("ece", "expected calibration error: |confidence - accuracy| over 15 bins, pixel-weighted",
               lower_is_better=True),
    MetricName("pixel_error", "ISBI 2012: 1 - pixel accuracy of the membrane map", False, lower_is_better=True),
    MetricName("rand_error", "ISBI 2012: 1 - foreground-restricted Rand F-score", False, lower_is_better=True),
):
    METRIC_NAMES.register(metric.name, metric)


def every_evaluation_metrics() -> tuple[str, ...]:
    """The scalar metrics every evaluation reports (the others come with a data format)."""
    return tuple(name for name, metric in METRIC_NAMES.items() if metric.every_evaluation)


def scalar_metrics(include_binary_only: bool = True) -> tuple[str, ...]:
    return tuple(name for name, metric in METRIC_NAMES.items() if include_binary_only or not metric.binary_only)


def lower_is_better(metric: str) -> bool:
    """Whether a smaller value of `metric` is the better one (errors), as opposed to scores."""
    return metric in METRIC_NAMES and METRIC_NAMES[metric].lower_is_better
