"""Datasets: find files per layout (formats), read them (io), sample patches (dataset), augment."""
from .dataset import (
           Normalization,
           PatchDataset,
           Sample,
           compute_normalization,
           load_sample,
           load_samples,
)
from .formats import SampleFiles, find_samples
from .io import IGNORE_INDEX

__all__ = ["IGNORE_INDEX", "Normalization", "PatchDataset", "Sample", "SampleFiles", "compute_normalization",
           "find_samples", "load_sample", "load_samples"]
