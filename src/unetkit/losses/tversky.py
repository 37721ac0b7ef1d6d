"""Tversky loss (Salehi et al. 2017) and focal Tversky (Abraham and Khan 2019): a Dice whose false
positives and false negatives weigh alpha and beta, so that missing a small structure costs more
than over-drawing it (beta > alpha)."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..config import above, at_least, option
from ..labels import IGNORE_INDEX
from .common import class_probabilities, one_hot_targets, weighted_class_mean


@dataclass
class TverskyOptions:
    """train.tversky.*: how false positives and false negatives weigh (Salehi et al. 2017)."""
    LEGACY_KEYS = {"train.tversky_alpha": "alpha", "train.tversky_beta": "beta", "train.tversky_gamma": "gamma"}
    alpha: float = option(0.3, "weight of false positives", at_least(0))
    beta: float = option(0.7, "weight of false negatives", at_least(0))
    gamma: float = option(1.0, "(1 - TI)^gamma; 0.75 = focal Tversky", above(0))
    smooth: float = option(1.0, "added to both sides of TI: a class absent from the batch scores 1, not 0/0", above(0))


def tversky_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None,
                 ignore_index: int = IGNORE_INDEX, class_weights: torch.Tensor | None = None,
                 alpha: float = 0.3, beta: float = 0.7, gamma: float = 1.0, smooth: float = 1.0) -> torch.Tensor:
    """Mean over the foreground classes of (1 - TI_c)^gamma, TI_c = (TP + s) / (TP + alpha FP + beta FN + s)
    over the batch's valid pixels. alpha = beta = 0.5 is the Dice loss; gamma = 0.75 is Abraham and
    Khan's focal Tversky (their 1/gamma with gamma = 4/3)."""
    probabilities = class_probabilities(logits)
    one_hot, valid = one_hot_targets(labels, probabilities.shape[1], ignore_index)
    probabilities = probabilities * valid
    dims = (0, 2, 3)
    true_positive = (probabilities * one_hot).sum(dims)
    false_positive = (probabilities * (1 - one_hot) * valid).sum(dims)
    false_negative = ((1 - probabilities) * one_hot).sum(dims)
    index = (true_positive + smooth) / (true_positive + alpha * false_positive + beta * false_negative + smooth)
    return weighted_class_mean((1 - index).clamp_min(0) ** gamma, class_weights)
