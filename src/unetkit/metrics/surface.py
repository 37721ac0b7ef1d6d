"""Boundary and topology metrics for small and thin structures, per image and class.

- hd95: the 95th percentile Hausdorff distance, max of the two directed 95th percentiles between the
  boundaries (MONAI's `compute_hausdorff_distance(percentile=95)`);
- assd: average symmetric surface distance, the mean over both directions' boundary distances taken
  together (MONAI's `compute_average_surface_distance(symmetric=True)`);
- surface_dice: the share of both boundaries within `tolerance` pixels of the other (Nikolov et al.
  2021, "normalised surface Dice");
- cldice: Dice of each mask with the other's skeleton (Shit et al. 2021), for vessel-like masks.
Distances are in pixels, boundary = mask minus its 4-connected erosion, from scipy's exact Euclidean
distance transform. When one mask is empty, hd95 and assd are the image diagonal (the farthest an
error can be) and surface_dice and cldice 0; when both are, every metric is NaN (nothing to score).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

SURFACE_METRICS = ("hd95", "assd", "surface_dice")


def boundary(mask: np.ndarray) -> np.ndarray:
    """bool (H, W): pixels of `mask` with a 4-neighbour outside it (or on the image border)."""
    return mask & ~ndimage.binary_erosion(mask, border_value=0)


def _distances_to(target_boundary: np.ndarray) -> np.ndarray:
    """Euclidean distance of every pixel to the nearest pixel of `target_boundary`."""
    return ndimage.distance_transform_edt(~target_boundary)


def surface_scores(predicted: np.ndarray, truth: np.ndarray, tolerance: float = 2.0) -> dict[str, float]:
    """hd95, assd and surface_dice between bool masks (H, W)."""
    if not predicted.any() and not truth.any():
        return {name: float("nan") for name in SURFACE_METRICS}
    if not predicted.any() or not truth.any():
        diagonal = math.hypot(*truth.shape)
        return {"hd95": diagonal, "assd": diagonal, "surface_dice": 0.0}
    predicted_boundary, true_boundary = boundary(predicted), boundary(truth)
    predicted_to_truth = _distances_to(true_boundary)[predicted_boundary]
    truth_to_predicted = _distances_to(predicted_boundary)[true_boundary]
    both = np.concatenate([predicted_to_truth, truth_to_predicted])
    return {"hd95": float(max(np.percentile(predicted_to_truth, 95), np.percentile(truth_to_predicted, 95))),
            "assd": float(both.mean()),
            "surface_dice": float((both <= tolerance).sum() / both.size)}


def cldice_score(predicted: np.ndarray, truth: np.ndarray) -> float:
    """clDice between bool masks (H, W): 2 Tprec Tsens / (Tprec + Tsens), Tprec = |S(P) & G| / |S(P)|,
    Tsens = |S(G) & P| / |S(G)|, S the morphological skeleton (scikit-image)."""
    from skimage.morphology import skeletonize
    if not predicted.any() and not truth.any():
        return float("nan")
    if not predicted.any() or not truth.any():
        return 0.0
    predicted_skeleton, true_skeleton = skeletonize(predicted), skeletonize(truth)
    precision = (predicted_skeleton & truth).sum() / max(predicted_skeleton.sum(), 1)
    sensitivity = (true_skeleton & predicted).sum() / max(true_skeleton.sum(), 1)
    return float(2 * precision * sensitivity / (precision + sensitivity)) if precision + sensitivity else 0.0
