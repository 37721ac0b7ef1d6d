"""Metrics: the confusion-matrix metrics of every evaluation, extra per-format metrics, tables."""
from .extra import EXTRA_METRICS, ExtraMetric, lower_is_better
from .per_image import PerImageScores
from .segmentation import AUC_BINS, SegmentationMetrics
from .surface import SURFACE_METRICS, cldice_score, surface_scores
from .table import format_per_class_table, format_table

__all__ = ["AUC_BINS", "EXTRA_METRICS", "SURFACE_METRICS", "ExtraMetric", "PerImageScores", "SegmentationMetrics",
           "cldice_score", "format_per_class_table", "format_table", "lower_is_better", "surface_scores"]
