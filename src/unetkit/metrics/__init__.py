"""Metrics: the confusion-matrix metrics of every evaluation, extra per-format metrics, tables."""
from .extra import EXTRA_METRICS, ExtraMetric
from .names import METRIC_NAMES, MetricName, every_evaluation_metrics, lower_is_better, scalar_metrics
from .per_image import PerImageScores
from .segmentation import AUC_BINS, SegmentationMetrics
from .surface import SURFACE_METRICS, cldice_score, surface_scores
from .table import format_per_class_table, format_table

__all__ = ["AUC_BINS", "EXTRA_METRICS", "METRIC_NAMES", "SURFACE_METRICS", "ExtraMetric", "MetricName",
           "every_evaluation_metrics", "scalar_metrics", "PerImageScores", "SegmentationMetrics",
           "cldice_score", "format_per_class_table", "format_table", "lower_is_better", "surface_scores"]
