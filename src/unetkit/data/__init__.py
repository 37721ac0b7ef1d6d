"""Datasets: find files per layout (formats), read them (io), sample patches (dataset), augment."""
from .dataset import (
           PatchDataset,
           Sample,
           class_pixel_counts,
           compute_normalization,
           load_sample,
           load_samples,
)
from .formats import FORMATS, DataFormat, SampleFiles, find_samples, register_format

__all__ = ["FORMATS", "DataFormat", "PatchDataset", "Sample", "SampleFiles", "class_pixel_counts",
           "compute_normalization",
           "find_samples", "load_sample", "load_samples", "register_format"]
