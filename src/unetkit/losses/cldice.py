"""Soft clDice (Shit et al., CVPR 2021): Dice between each mask and the other's soft skeleton, so
that a broken thin vessel costs as much as a missing thick one.

The soft skeleton is the paper's iterative min/max-pooling morphology (erosion = min-pool over a
3x1 and a 1x3 cross, dilation = 3x3 max-pool); it is differentiable and runs on the model's device.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..config import at_least, option
from ..labels import IGNORE_INDEX
from .common import class_probabilities, one_hot_targets, weighted_class_mean


@dataclass
class ClDiceOptions:
    """train.cldice.*"""
    LEGACY_KEYS = {"train.cldice_iterations": "iterations"}
    iterations: int = option(3, "soft-skeleton iterations (about the widest structure's radius)", at_least(1))


def soft_erode(image: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> minimum over the 4-neighbourhood cross."""
    vertical = -F.max_pool2d(-image, (3, 1), stride=1, padding=(1, 0))
    horizontal = -F.max_pool2d(-image, (1, 3), stride=1, padding=(0, 1))
    return torch.minimum(vertical, horizontal)


def soft_dilate(image: torch.Tensor) -> torch.Tensor:
    return F.max_pool2d(image, 3, stride=1, padding=1)


def soft_skeleton(image: torch.Tensor, iterations: int = 3) -> torch.Tensor:
    """Soft morphological skeleton of soft masks (N, C, H, W) in [0, 1]."""
    skeleton = torch.relu(image - soft_dilate(soft_erode(image)))
    for _ in range(iterations):
        image = soft_erode(image)
        delta = torch.relu(image - soft_dilate(soft_erode(image)))
        skeleton = skeleton + torch.relu(delta - skeleton * delta)
    return skeleton


def cldice_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None,
                ignore_index: int = IGNORE_INDEX, class_weights: torch.Tensor | None = None,
                iterations: int = 3, smooth: float = 1.0) -> torch.Tensor:
    """1 - mean over the foreground classes of clDice = 2 Tprec Tsens / (Tprec + Tsens), with
    Tprec = |S(pred) . truth| / |S(pred)| and Tsens = |S(truth) . pred| / |S(truth)| over the batch;
    ignored pixels are zero in both masks. `iterations` should reach the widest structure's radius."""
    probabilities = class_probabilities(logits)
    truth, valid = one_hot_targets(labels, probabilities.shape[1], ignore_index)
    probabilities = probabilities * valid
    dims = (0, 2, 3)
    predicted_skeleton = soft_skeleton(probabilities, iterations)
    true_skeleton = soft_skeleton(truth, iterations)
    precision = ((predicted_skeleton * truth).sum(dims) + smooth) / (predicted_skeleton.sum(dims) + smooth)
    sensitivity = ((true_skeleton * probabilities).sum(dims) + smooth) / (true_skeleton.sum(dims) + smooth)
    cldice = 2 * precision * sensitivity / (precision + sensitivity)
    return 1 - weighted_class_mean(cldice, class_weights)
