"""Which labelled masks are probably wrong: confident learning (Northcutt et al. 2021) for pixels.

1. Per-class thresholds from the data: t_k = the mean probability of class k over the pixels labelled
   k (the model's average self-confidence on that class), so a class the model is shy of gets a low bar.
2. A pixel is confidently of class j when p_j >= t_j (the likeliest such j); it is suspect when its
   label says another class. The ignore label and pixels outside the ROI are never suspect.
3. Suspect pixels are joined into connected regions; regions smaller than `min_region` pixels
   (boundary jitter, speckle) are dropped. An image's score is the sum over its regions' pixels of the
   margin p_j - p_label, divided by its valid pixels: the share of its mask the model confidently
   contradicts, weighted by how confident.

Hand-written on numpy/scipy: cleanlab implements the classification version under the AGPL, and
knows nothing of ROIs, ignore labels or regions.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

QUANTUM = 255.0   # probabilities kept as uint8 between the two passes (memory: one byte per class and pixel)


@dataclass
class ImageProbabilities:
    """One labelled image's predicted probabilities (uint8, p x 255) and its label."""
    name: str
    probabilities: np.ndarray    # (K, H, W) uint8
    label: np.ndarray            # (H, W) uint8, ignore_index where not scored


@dataclass
class Suspect:
    name: str
    score: float                          # margin-weighted share of the valid pixels contradicted
    suspect_share: float                  # share of the valid pixels in kept suspect regions
    regions: int
    mask: np.ndarray = field(repr=False)  # (H, W) bool: the kept regions
    claimed: dict[str, int] = field(default_factory=dict)   # "label -> model" class pairs, pixel counts


def quantized(probabilities: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(probabilities, np.float32) * QUANTUM).astype(np.uint8)


def class_thresholds(images: list[ImageProbabilities], num_classes: int, ignore_index: int) -> np.ndarray:
    """t_k: the mean probability of class k over every pixel labelled k (NaN for a class never labelled)."""
    totals, counts = np.zeros(num_classes), np.zeros(num_classes)
    for image in images:
        for k in range(num_classes):
            labelled = image.label == k
            counts[k] += labelled.sum()
            totals[k] += image.probabilities[k][labelled].sum(dtype=np.float64) / QUANTUM
    with np.errstate(invalid="ignore", divide="ignore"):
        return totals / counts


def suspect_pixels(image: ImageProbabilities, thresholds: np.ndarray, ignore_index: int) -> tuple[np.ndarray, np.ndarray,
                                                                                                  np.ndarray]:
    """(suspect bool (H, W), the confidently claimed class (H, W), the margin p_claimed - p_label (H, W))."""
    probabilities = image.probabilities.astype(np.float32) / QUANTUM
    passing = probabilities >= np.nan_to_num(thresholds, nan=np.inf)[:, None, None]
    claimed = np.where(passing, probabilities, -1.0).argmax(0)
    confident = passing.any(0)
    valid = image.label != ignore_index
    label = np.where(valid, image.label, 0).astype(np.int64)
    suspect = confident & valid & (claimed != label)
    margin = np.take_along_axis(probabilities, claimed[None], 0)[0] - np.take_along_axis(probabilities, label[None], 0)[0]
    return suspect, claimed, np.where(suspect, margin, 0.0)


def review_image(image: ImageProbabilities, thresholds: np.ndarray, ignore_index: int, class_names: list[str],
                 min_region: int = 16) -> Suspect:
    suspect, claimed, margin = suspect_pixels(image, thresholds, ignore_index)
    regions, count = ndimage.label(suspect, structure=np.ones((3, 3), bool))
    sizes = np.bincount(regions.ravel(), minlength=count + 1)
    keep = sizes >= min_region
    keep[0] = False
    kept = keep[regions]
    valid = max(1, int((image.label != ignore_index).sum()))
    pairs: dict[str, int] = {}
    if kept.any():
        label_classes, claimed_classes = image.label[kept], claimed[kept]
        for a, b in set(zip(label_classes.tolist(), claimed_classes.tolist())):
            pairs[f"{class_names[a]} -> {class_names[b]}"] = int(((label_classes == a) & (claimed_classes == b)).sum())
    return Suspect(image.name, float(margin[kept].sum() / valid), float(kept.sum() / valid), int(keep.sum()), kept,
                   dict(sorted(pairs.items(), key=lambda item: -item[1])))


def rank_suspects(images: list[ImageProbabilities], num_classes: int, class_names: list[str], ignore_index: int,
                  min_region: int = 16) -> tuple[list[Suspect], np.ndarray]:
    """Every image reviewed, the most suspect first; and the class thresholds used."""
    thresholds = class_thresholds(images, num_classes, ignore_index)
    reviewed = [review_image(image, thresholds, ignore_index, class_names, min_region) for image in images]
    return sorted(reviewed, key=lambda suspect: -suspect.score), thresholds
