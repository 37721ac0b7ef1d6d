"""Class weights for the losses, from the training masks' class frequencies (`train.class_weights`).

f_c = pixels of class c / labelled pixels of all training masks (ignored pixels and pixels outside
the ROI left out). Two documented rules, both scaled so that the median class weighs 1:
- median_frequency (Eigen and Fergus 2015, SegNet): w_c = median(f) / f_c;
- inverse_sqrt: w_c = sqrt(median(f) / f_c), a milder version (a class 100x rarer weighs 10x, not 100x).
A class absent from the training masks gets the largest weight of the present ones.
"""
from __future__ import annotations

import logging

import numpy as np
import torch

from ..errors import ConfigError

log = logging.getLogger(__name__)

CLASS_WEIGHT_METHODS = ("median_frequency", "inverse_sqrt")


def class_weights_from_counts(counts: np.ndarray, method: str = "median_frequency") -> np.ndarray:
    """Weights (K,) from per-class pixel counts (K,) by `method` (see the module's docstring)."""
    if method not in CLASS_WEIGHT_METHODS:
        raise ConfigError(f"config key 'train.class_weight_method' must be one of {', '.join(CLASS_WEIGHT_METHODS)}; "
                          f"got {method!r}")
    counts = np.asarray(counts, dtype=np.float64)
    present = counts > 0
    if not present.any():
        raise ConfigError("train.class_weights=auto: the training masks have no labelled pixels")
    frequency = counts / counts.sum()
    weights = np.zeros_like(frequency)
    weights[present] = np.median(frequency[present]) / frequency[present]
    if method == "inverse_sqrt":
        weights = np.sqrt(weights)
    weights[~present] = weights[present].max()
    return weights


def resolve_class_weights(setting: str | list[float], method: str, num_classes: int,
                          count_pixels=None) -> torch.Tensor | None:
    """The class weights (num_classes,) that `train.class_weights` asks for: none -> None, a list ->
    those, auto -> from `count_pixels()` (a callable returning per-class pixel counts, called only then)."""
    if isinstance(setting, list):
        if len(setting) != num_classes:
            raise ConfigError(f"train.class_weights lists {len(setting)} weights but there are {num_classes} classes")
        return torch.tensor(setting, dtype=torch.float32)
    if setting == "none":
        return None
    counts = np.asarray(count_pixels(), dtype=np.float64)
    weights = class_weights_from_counts(counts, method)
    for index in np.flatnonzero(counts == 0):
        log.warning("class %d has no pixel in the training masks: it gets the largest weight", index)
    return torch.tensor(weights, dtype=torch.float32)
