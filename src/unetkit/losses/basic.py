"""Cross-entropy (softmax and binary), Dice and the paper's pixel-weighted cross-entropy.

Every loss takes logits (N, C, H, W), int64 labels (N, H, W), optional per-pixel weights (N, H, W)
(the paper's border weight map, used by weighted_ce), `ignore_index` (pixels with that label are
left out; pixels outside the ROI carry it, so honouring it is how a loss honours the ROI) and
optional `class_weights` (K,). Losses are computed in float32 whatever the autocast.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..config import above, at_least, option
from ..labels import IGNORE_INDEX
from .common import (
    class_probabilities,
    connected_zero,
    one_hot_targets,
    pixel_class_weights,
    weighted_class_mean,
)


@dataclass
class BorderWeightOptions:
    """train.weighted_ce.*: the paper's border weight map, w(x) = w_c(x) + w0 exp(-(d1 + d2)^2 / 2 sigma^2)
    (data/border_weights.py), computed for each training image when the loss is weighted_ce."""
    LEGACY_KEYS = {"train.border_w0": "w0", "train.border_sigma": "sigma"}
    w0: float = option(10.0, "weight of the border term", at_least(0))
    sigma: float = option(5.0, "width of the border term in pixels", above(0))


def bce_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None,
             ignore_index: int = IGNORE_INDEX, class_weights: torch.Tensor | None = None) -> torch.Tensor:
    """Binary cross-entropy on one sigmoid channel (N, 1, H, W); labels in {0, 1, ignore_index}.
    With class weights [w0, w1], the weighted mean sum(w_i l_i) / sum(w_i), as cross-entropy's."""
    valid = (labels != ignore_index).float()
    target = (labels == 1).float()
    per_pixel = F.binary_cross_entropy_with_logits(logits[:, 0].float(), target, reduction="none")
    pixel_weights = valid if class_weights is None else pixel_class_weights(labels, class_weights, ignore_index)
    return (per_pixel * pixel_weights).sum() / pixel_weights.sum().clamp_min(1e-12)


def ce_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None,
            ignore_index: int = IGNORE_INDEX, class_weights: torch.Tensor | None = None) -> torch.Tensor:
    """Softmax cross-entropy over C >= 2 channels (with class weights: PyTorch's weighted mean)."""
    if not (labels != ignore_index).any():
        return connected_zero(logits)
    weight = None if class_weights is None else class_weights.to(logits.device, torch.float32)
    return F.cross_entropy(logits.float(), labels, weight=weight, ignore_index=ignore_index)


def dice_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None,
              ignore_index: int = IGNORE_INDEX, class_weights: torch.Tensor | None = None,
              smooth: float = 1.0) -> torch.Tensor:
    """1 - mean soft Dice over the foreground classes (all classes but 0), over the whole batch;
    with class weights, their weighted mean."""
    probabilities = class_probabilities(logits)
    one_hot, valid = one_hot_targets(labels, probabilities.shape[1], ignore_index)
    probabilities = probabilities * valid
    dims = (0, 2, 3)
    intersection = (probabilities * one_hot).sum(dims)
    total = probabilities.sum(dims) + one_hot.sum(dims)
    dice = (2 * intersection + smooth) / (total + smooth)
    return 1 - weighted_class_mean(dice, class_weights)


def ce_dice_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None,
                 ignore_index: int = IGNORE_INDEX, class_weights: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy (or BCE for one channel) plus Dice."""
    base = bce_loss if logits.shape[1] == 1 else ce_loss
    return (base(logits, labels, ignore_index=ignore_index, class_weights=class_weights)
            + dice_loss(logits, labels, ignore_index=ignore_index, class_weights=class_weights))


def weighted_ce_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None,
                     ignore_index: int = IGNORE_INDEX, class_weights: torch.Tensor | None = None) -> torch.Tensor:
    """Softmax cross-entropy with per-pixel weights (the paper's border weight map; class weights
    multiply them), averaged over the non-ignored pixels. Without any weights it is plain cross-entropy."""
    if weights is None and class_weights is None:
        return ce_loss(logits, labels, ignore_index=ignore_index)
    valid = (labels != ignore_index).float()
    per_pixel = F.cross_entropy(logits.float(), labels, ignore_index=ignore_index, reduction="none")
    pixel_weights = valid if weights is None else weights.float() * valid
    if class_weights is not None:
        pixel_weights = pixel_weights * pixel_class_weights(labels, class_weights, ignore_index)
    return (per_pixel * pixel_weights).sum() / valid.sum().clamp_min(1)
