"""The U-Net paper's per-pixel loss weights (Ronneberger et al. 2015, eq. 2):

    w(x) = w_c(x) + w0 * exp(-(d1(x) + d2(x))^2 / (2 sigma^2))

w_c balances class frequencies; d1 and d2 are the distances to the nearest and second-nearest
object (connected components of the foreground, or instance labels when given). The border term
is large only in thin background gaps between two objects, which forces the network to separate
touching cells. Written here rather than taken from a library because no maintained package
implements this exact formula; it is the paper's own method.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..labels import IGNORE_INDEX


def class_balance_weights(labels: np.ndarray, num_classes: int, ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Per-class weights n / (K * n_c) over the non-ignored pixels (1 for absent classes). (K,)"""
    valid = labels[labels != ignore_index]
    counts = np.bincount(valid.ravel(), minlength=num_classes)[:num_classes].astype(np.float64)
    weights = np.ones(num_classes)
    present = counts > 0
    weights[present] = valid.size / (present.sum() * counts[present])
    return weights


def two_nearest_object_distances(instances: np.ndarray, reach: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """d1, d2 (H, W) float32: distances to the nearest and second-nearest instance (labels > 0).

    Each instance's Euclidean distance transform is computed only in its bounding box grown by
    `reach` pixels (farther than that the border term is negligible), and folded into running
    minima with array operations, so the cost grows with object size, not image size x objects.
    """
    height, width = instances.shape
    first = np.full((height, width), np.inf, np.float32)
    second = np.full((height, width), np.inf, np.float32)
    margin = int(np.ceil(min(reach, max(height, width))))
    for index, box in enumerate(ndimage.find_objects(instances), start=1):
        if box is None:
            continue
        rows = slice(max(0, box[0].start - margin), min(height, box[0].stop + margin))
        cols = slice(max(0, box[1].start - margin), min(width, box[1].stop + margin))
        distance = ndimage.distance_transform_edt(instances[rows, cols] != index).astype(np.float32)
        window_first, window_second = first[rows, cols], second[rows, cols]
        window_second[...] = np.minimum(window_second, np.maximum(window_first, distance))
        window_first[...] = np.minimum(window_first, distance)
    return first, second


def border_weight_map(labels: np.ndarray, num_classes: int = 2, w0: float = 10.0, sigma: float = 5.0,
                      instances: np.ndarray | None = None, ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """The paper's weight map for one label image (H, W) (weight 0 on the ignore label). float32 (H, W).

    Objects are the connected components of the foreground (label > 0, 4-connected) unless
    `instances` (H, W, 0 = background) is given. The border term applies to background pixels.
    """
    weights = class_balance_weights(labels, num_classes, ignore_index)
    valid = labels != ignore_index
    result = np.zeros(labels.shape, np.float32)
    result[valid] = weights[labels[valid]]
    if instances is None:
        instances, _ = ndimage.label((labels > 0) & valid)
    # an object farther than `reach` contributes a border term below 1e-4: skip it there
    reach = sigma * np.sqrt(2 * np.log(max(w0, 1e-4) / 1e-4))
    first, second = two_nearest_object_distances(instances, reach)
    border = w0 * np.exp(-((first + second) ** 2) / (2 * sigma ** 2))
    background = (labels == 0) & np.isfinite(second)
    result[background] += border[background].astype(np.float32)
    return result
