"""Dataset layouts, one registered DataFormat per file; `find_samples` lists a split's files."""
from . import drive, folder, isbi, synthetic, voc  # noqa: F401  (registers the built-in formats)
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

__all__ = ["FORMATS", "SPLITS", "DataFormat", "Fold", "SampleFiles", "detect_format", "find_partner", "find_samples", "images_in",
           "parse_slices", "register_format"]
