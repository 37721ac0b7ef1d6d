"""Focal loss (Lin et al. 2017): cross-entropy scaled by (1 - p_t)^gamma, so that the many easy
pixels of a large class stop drowning the few hard pixels of a small one."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..config import at_least, between, option
from ..labels import IGNORE_INDEX
from .common import connected_zero, pixel_class_weights


@dataclass
class FocalOptions:
    """train.focal.*: the focusing term and the binary foreground weight (Lin et al. 2017)."""
    LEGACY_KEYS = {"train.focal_gamma": "gamma", "train.focal_alpha": "alpha"}
    gamma: float = option(2.0, "(1 - p_t)^gamma down-weights easy pixels; 0 = cross-entropy", at_least(0))
    alpha: float = option(0.0, "binary: foreground weight alpha, background 1 - alpha; 0 = off",
                          between(0, 1, high_open=True))


def focal_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None,
               ignore_index: int = IGNORE_INDEX, class_weights: torch.Tensor | None = None,
               gamma: float = 2.0, alpha: float = 0.0) -> torch.Tensor:
    """Mean over the valid pixels of -a_t (1 - p_t)^gamma log p_t (softmax, or sigmoid for one
    channel). alpha > 0 (binary): a_t = alpha on foreground pixels, 1 - alpha on background, as in
    the paper; class weights (any number of classes) weight each pixel by its class, normalised as
    cross-entropy's weighted mean."""
    valid = labels != ignore_index
    if not valid.any():
        return connected_zero(logits)
    logits = logits.float()
    safe_labels = labels.masked_fill(~valid, 0)
    if logits.shape[1] == 1:
        log_p_foreground = F.logsigmoid(logits[:, 0])
        log_p_background = F.logsigmoid(-logits[:, 0])
        log_pt = torch.where(safe_labels == 1, log_p_foreground, log_p_background)
    else:
        log_pt = F.log_softmax(logits, dim=1).gather(1, safe_labels.unsqueeze(1))[:, 0]
    per_pixel = -((1 - log_pt.exp()).clamp_min(0) ** gamma) * log_pt
    pixel_weights = valid.float()
    if alpha > 0:
        pixel_weights = pixel_weights * torch.where(safe_labels >= 1, alpha, 1 - alpha)
    if class_weights is not None:
        pixel_weights = pixel_weights * pixel_class_weights(labels, class_weights, ignore_index)
    return (per_pixel * pixel_weights).sum() / pixel_weights.sum().clamp_min(1e-12)
