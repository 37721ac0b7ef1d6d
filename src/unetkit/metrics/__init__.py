"""Metrics: the confusion-matrix metrics of every evaluation, extra per-format metrics, tables."""
from .extra import EXTRA_METRICS, ExtraMetric, lower_is_better
from .segmentation import AUC_BINS, SegmentationMetrics
from .table import format_per_class_table, format_table

__all__ = ["AUC_BINS", "EXTRA_METRICS", "ExtraMetric", "SegmentationMetrics", "format_per_class_table", "format_table", "lower_is_better"]
