"""Label-map clean-up after prediction (`infer.postprocess`), per class, as nnU-Net does in 2D.

Steps for a class c (components are 8-connected, so a thin diagonal vessel stays one piece):
- largest_component: keep only c's largest connected component;
- remove_small: drop c's components smaller than `min_size` pixels;
- fill_holes: background regions enclosed by c become c.
Dropped pixels become background (0). `infer.postprocess` has one entry for every class but 0, or
one per class (class 0's entry must be none); an entry may join steps by '+'.
Hand-written around scipy.ndimage: these are a few lines each over its labelling and hole filling.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import ndimage

from ..errors import ConfigError

EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def largest_component(mask: np.ndarray, min_size: int = 0) -> np.ndarray:
    """bool (H, W) -> the largest 8-connected component of `mask`."""
    components, count = ndimage.label(mask, structure=EIGHT_CONNECTED)
    if count <= 1:
        return mask
    sizes = np.bincount(components.reshape(-1))[1:]
    return components == (1 + int(sizes.argmax()))


def remove_small(mask: np.ndarray, min_size: int = 64) -> np.ndarray:
    """bool (H, W) -> `mask` without its components of fewer than `min_size` pixels."""
    components, count = ndimage.label(mask, structure=EIGHT_CONNECTED)
    if count == 0:
        return mask
    sizes = np.bincount(components.reshape(-1))
    keep = sizes >= min_size
    keep[0] = False
    return keep[components]


def fill_holes(mask: np.ndarray, min_size: int = 0) -> np.ndarray:
    """bool (H, W) -> `mask` with its enclosed holes filled (the caller fills only background)."""
    return ndimage.binary_fill_holes(mask)


STEPS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "largest_component": largest_component, "remove_small": remove_small, "fill_holes": fill_holes}


def steps_per_class(postprocess: Sequence[str], num_classes: int) -> list[list[str]]:
    """The steps for each class (num_classes lists; class 0's is empty)."""
    if not postprocess:
        return [[] for _ in range(num_classes)]
    entries = list(postprocess) if len(postprocess) > 1 else ["none"] + [postprocess[0]] * (num_classes - 1)
    if len(entries) != num_classes:
        raise ConfigError(f"infer.postprocess has {len(entries)} entries for {num_classes} classes "
                          f"(give one for every class but 0, or one per class)")
    if entries[0] != "none":
        raise ConfigError(f"infer.postprocess: class 0 (background) takes no step; got {entries[0]!r}")
    return [[step for step in entry.split("+") if step != "none"] for entry in entries]


def postprocess_labels(labels: np.ndarray, postprocess: Sequence[str], num_classes: int,
                       min_size: int = 64) -> np.ndarray:
    """Class ids uint8 (H, W) with each class's steps applied in class order."""
    plan = steps_per_class(postprocess, num_classes)
    if not any(plan):
        return labels
    labels = labels.copy()
    for value, steps in enumerate(plan):
        for step in steps:
            mask = labels == value
            kept = STEPS[step](mask, min_size)
            if step == "fill_holes":
                labels[kept & (labels == 0)] = value
            else:
                labels[mask & ~kept] = 0
    return labels
