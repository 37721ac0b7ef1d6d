"""Dataset layouts, one registered DataFormat per file; `find_samples` lists a split's files."""
from . import coco, cvat, drive, folder, isbi, label_studio, labelme, synthetic, voc  # noqa: F401  (registers the built-in formats)
from .annotated import AnnotationFormat, format_of_export
from .base import (
    FORMATS,
    SPLITS,
    DataFormat,
    Fold,
    SampleFiles,
    detect_format,
    find_partner,
    find_samples,
    images_in,
    register_format,
)
from .isbi import parse_slices

__all__ = ["FORMATS", "SPLITS", "AnnotationFormat", "DataFormat", "Fold", "SampleFiles", "detect_format",
           "find_partner", "find_samples", "format_of_export", "images_in", "parse_slices", "register_format"]
