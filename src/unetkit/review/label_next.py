"""Which unlabelled images to label next: those whose label is worth most to the model.

- Value: the mean over pixels of the normalised entropy of the prediction (0 certain .. 1 a uniform
  guess; infer/uncertainty.py) times the pixel's expected rarity, sum_k p_k w_k, where w_k is the inverse
  pixel frequency of class k in the training masks scaled to mean 1: an unsure pixel that is probably of
  a rare class counts more than an unsure background pixel.
- Diversity: picked greedily, each next image's value damped by how close it is to those already
  picked (d / (d + d0), d its distance to the nearest picked image in a small feature space -- the mean
  class probabilities and an 8 x 8 grey thumbnail, standardised -- and d0 the median distance between
  images), so the top 20 are not 20 frames of one scene.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Candidate:
    name: str
    value: float             # uncertainty x rarity, before the diversity damping
    mean_entropy: float      # normalised, 0..1
    rarity: float            # mean expected rarity of its pixels (1 = average)
    features: np.ndarray
    rank: int = 0            # 1 = label first
    picked_value: float = 0.0   # the value at the moment it was picked (after the damping)


def rarity_weights(class_pixels: np.ndarray) -> np.ndarray:
    """w_k proportional to 1 / frequency of class k, mean 1 over the classes (an absent class gets the
    largest weight seen)."""
    frequency = class_pixels / max(1.0, class_pixels.sum())
    inverse = np.where(frequency > 0, 1.0 / np.maximum(frequency, 1e-12), np.nan)
    inverse = np.where(np.isnan(inverse), np.nanmax(inverse) if np.isfinite(inverse).any() else 1.0, inverse)
    return inverse / inverse.mean()


def image_features(image: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Mean class probabilities (K) and an 8 x 8 grey thumbnail (64 values, 0..1)."""
    import cv2
    grey = image.astype(np.float32).mean(2) if image.ndim == 3 else image.astype(np.float32)
    thumbnail = cv2.resize(grey, (8, 8), interpolation=cv2.INTER_AREA).ravel() / 255.0
    return np.concatenate([probabilities.reshape(probabilities.shape[0], -1).mean(1), thumbnail])


def candidate(name: str, image: np.ndarray, probabilities: np.ndarray, normalised_entropy: np.ndarray,
              weights: np.ndarray) -> Candidate:
    """One unlabelled image's value, from its prediction (K, H, W) and entropy map (H, W, 0..1)."""
    expected_rarity = np.tensordot(weights, probabilities, axes=(0, 0))          # (H, W)
    return Candidate(name, float((normalised_entropy * expected_rarity).mean()), float(normalised_entropy.mean()),
                     float(expected_rarity.mean()), image_features(image, probabilities))


def rank_unlabeled(candidates: list[Candidate], top: int) -> list[Candidate]:
    """The `top` candidates in the order to label them (greedy value x diversity)."""
    if not candidates:
        return []
    features = np.stack([c.features for c in candidates])
    spread = features.std(0)
    features = (features - features.mean(0)) / np.where(spread > 0, spread, 1.0)
    distances = np.linalg.norm(features[:, None] - features[None], axis=2)
    off_diagonal = distances[~np.eye(len(candidates), dtype=bool)]
    d0 = float(np.median(off_diagonal)) if off_diagonal.size else 1.0
    nearest = np.full(len(candidates), np.inf)
    values = np.array([c.value for c in candidates])
    picked: list[Candidate] = []
    remaining = np.ones(len(candidates), bool)
    while remaining.any() and len(picked) < top:
        damping = np.ones(len(candidates))
        seen = np.isfinite(nearest)
        damping[seen] = nearest[seen] / (nearest[seen] + max(d0, 1e-12))
        scores = np.where(remaining, values * damping, -np.inf)
        best = int(scores.argmax())
        candidates[best].rank, candidates[best].picked_value = len(picked) + 1, float(scores[best])
        picked.append(candidates[best])
        remaining[best] = False
        nearest = np.minimum(nearest, distances[best])
    return picked
