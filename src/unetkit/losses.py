"""Segmentation losses. All take logits (N, C, H, W), int64 labels (N, H, W) with 255 = ignore, and
optional per-pixel weights (N, H, W) (used by weighted_ce, the U-Net paper's loss).

Pixels outside the region of interest carry the ignore label (see data.dataset), so honouring the
ignore label is how every loss honours the ROI. Losses are computed in float32 whatever the autocast.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from .data.io import IGNORE_INDEX


def bce_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Binary cross-entropy on one sigmoid channel (N, 1, H, W); labels in {0, 1, 255}."""
    valid = labels != IGNORE_INDEX
    target = (labels == 1).float()
    per_pixel = F.binary_cross_entropy_with_logits(logits[:, 0].float(), target, reduction="none")
    return (per_pixel * valid).sum() / valid.sum().clamp_min(1)


def ce_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Softmax cross-entropy over C >= 2 channels."""
    if not (labels != IGNORE_INDEX).any():
        return logits.float().sum() * 0.0  # keep the graph connected on an all-ignored batch
    return F.cross_entropy(logits.float(), labels, ignore_index=IGNORE_INDEX)


def class_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) probabilities of every class: softmax, or [1 - p, p] for one sigmoid channel."""
    logits = logits.float()
    if logits.shape[1] == 1:
        foreground = torch.sigmoid(logits)
        return torch.cat([1 - foreground, foreground], dim=1)
    return torch.softmax(logits, dim=1)


def dice_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None,
              smooth: float = 1.0) -> torch.Tensor:
    """1 - mean soft Dice over the foreground classes (all classes but 0), ignored pixels left out."""
    probabilities = class_probabilities(logits)
    num_classes = probabilities.shape[1]
    valid = (labels != IGNORE_INDEX).unsqueeze(1)
    one_hot = F.one_hot(labels.masked_fill(~valid[:, 0], 0), num_classes).permute(0, 3, 1, 2).float()
    probabilities, one_hot = probabilities * valid, one_hot * valid
    dims = (0, 2, 3)
    intersection = (probabilities * one_hot).sum(dims)
    total = probabilities.sum(dims) + one_hot.sum(dims)
    dice = (2 * intersection + smooth) / (total + smooth)
    return 1 - dice[1:].mean()


def ce_dice_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy (or BCE for one channel) plus Dice."""
    base = bce_loss if logits.shape[1] == 1 else ce_loss
    return base(logits, labels) + dice_loss(logits, labels)


def weighted_ce_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Softmax cross-entropy with per-pixel weights (the paper's border weight map), averaged over
    the non-ignored pixels. Without weights it is plain cross-entropy."""
    if weights is None:
        return ce_loss(logits, labels)
    valid = labels != IGNORE_INDEX
    per_pixel = F.cross_entropy(logits.float(), labels, ignore_index=IGNORE_INDEX, reduction="none")
    return (per_pixel * weights.float() * valid).sum() / valid.sum().clamp_min(1)


LossFunction = Callable[..., torch.Tensor]
LOSSES: dict[str, LossFunction] = {
    "bce": bce_loss, "ce": ce_loss, "dice": dice_loss, "ce_dice": ce_dice_loss, "weighted_ce": weighted_ce_loss}


def build_loss(name: str) -> LossFunction:
    if name not in LOSSES:
        raise ValueError(f"unknown loss '{name}' (available: {', '.join(LOSSES)})")
    return LOSSES[name]
