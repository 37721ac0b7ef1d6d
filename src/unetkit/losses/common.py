"""Pieces every loss shares: probabilities, the valid-pixel mask, one-hot targets, class weighting.

Shapes: logits (N, C, H, W) with C = 1 (one sigmoid channel) or C >= 2 (softmax); labels int64
(N, H, W) with `ignore_index` on pixels left out; class_weights float (K,) with K = 2 for one sigmoid
channel, else C.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def class_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) probabilities of every class: softmax, or [1 - p, p] for one sigmoid channel."""
    logits = logits.float()
    if logits.shape[1] == 1:
        foreground = torch.sigmoid(logits)
        return torch.cat([1 - foreground, foreground], dim=1)
    return torch.softmax(logits, dim=1)


def one_hot_targets(labels: torch.Tensor, num_classes: int, ignore_index: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(one-hot float (N, K, H, W) with ignored pixels all zero, valid float (N, 1, H, W))."""
    valid = labels != ignore_index
    one_hot = F.one_hot(labels.masked_fill(~valid, 0), num_classes).permute(0, 3, 1, 2).float()
    valid = valid.unsqueeze(1).float()
    return one_hot * valid, valid


def weighted_class_mean(values: torch.Tensor, class_weights: torch.Tensor | None,
                        classes: slice = slice(1, None)) -> torch.Tensor:
    """Mean of per-class values (K,) over `classes` (the foreground by default), weighted by
    class_weights when given."""
    values = values[classes]
    if class_weights is None:
        return values.mean()
    weights = class_weights.to(values)[classes]
    return (values * weights).sum() / weights.sum().clamp_min(1e-12)


def pixel_class_weights(labels: torch.Tensor, class_weights: torch.Tensor, ignore_index: int) -> torch.Tensor:
    """Each pixel's class weight (N, H, W); 0 on ignored pixels."""
    valid = labels != ignore_index
    return class_weights.to(labels.device)[labels.masked_fill(~valid, 0)] * valid


def connected_zero(logits: torch.Tensor) -> torch.Tensor:
    """A zero that keeps the graph connected (an all-ignored batch still backpropagates)."""
    return logits.float().sum() * 0.0
