"""Segmentation losses, registered by name with what the trainer needs to know about each.

Every loss function takes logits (N, C, H, W), int64 labels (N, H, W) and optional per-pixel
weights (N, H, W) (used by weighted_ce, the U-Net paper's loss), plus `ignore_index`: pixels with
that label are left out. Pixels outside the region of interest carry the ignore label (see
data.dataset), so honouring it is how every loss honours the ROI. Losses are computed in float32
whatever the autocast.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .config import Config
from .errors import ConfigError
from .labels import IGNORE_INDEX
from .registry import Registry


def bce_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None,
             ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """Binary cross-entropy on one sigmoid channel (N, 1, H, W); labels in {0, 1, ignore_index}."""
    valid = labels != ignore_index
    target = (labels == 1).float()
    per_pixel = F.binary_cross_entropy_with_logits(logits[:, 0].float(), target, reduction="none")
    return (per_pixel * valid).sum() / valid.sum().clamp_min(1)


def ce_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None,
            ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """Softmax cross-entropy over C >= 2 channels."""
    if not (labels != ignore_index).any():
        return logits.float().sum() * 0.0  # keep the graph connected on an all-ignored batch
    return F.cross_entropy(logits.float(), labels, ignore_index=ignore_index)


def class_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) probabilities of every class: softmax, or [1 - p, p] for one sigmoid channel."""
    logits = logits.float()
    if logits.shape[1] == 1:
        foreground = torch.sigmoid(logits)
        return torch.cat([1 - foreground, foreground], dim=1)
    return torch.softmax(logits, dim=1)


def dice_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None,
              ignore_index: int = IGNORE_INDEX, smooth: float = 1.0) -> torch.Tensor:
    """1 - mean soft Dice over the foreground classes (all classes but 0), ignored pixels left out."""
    probabilities = class_probabilities(logits)
    num_classes = probabilities.shape[1]
    valid = (labels != ignore_index).unsqueeze(1)
    one_hot = F.one_hot(labels.masked_fill(~valid[:, 0], 0), num_classes).permute(0, 3, 1, 2).float()
    probabilities, one_hot = probabilities * valid, one_hot * valid
    dims = (0, 2, 3)
    intersection = (probabilities * one_hot).sum(dims)
    total = probabilities.sum(dims) + one_hot.sum(dims)
    dice = (2 * intersection + smooth) / (total + smooth)
    return 1 - dice[1:].mean()


def ce_dice_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None,
                 ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """Cross-entropy (or BCE for one channel) plus Dice."""
    base = bce_loss if logits.shape[1] == 1 else ce_loss
    return base(logits, labels, ignore_index=ignore_index) + dice_loss(logits, labels, ignore_index=ignore_index)


def weighted_ce_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None,
                     ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """Softmax cross-entropy with per-pixel weights (the paper's border weight map), averaged over
    the non-ignored pixels. Without weights it is plain cross-entropy."""
    if weights is None:
        return ce_loss(logits, labels, ignore_index=ignore_index)
    valid = labels != ignore_index
    per_pixel = F.cross_entropy(logits.float(), labels, ignore_index=ignore_index, reduction="none")
    return (per_pixel * weights.float() * valid).sum() / valid.sum().clamp_min(1)


LossFunction = Callable[..., torch.Tensor]


@dataclass(frozen=True)
class Loss:
    """A registered loss and what training must know about it."""
    name: str
    function: LossFunction
    sigmoid: bool = False            # one sigmoid output channel (binary tasks only) instead of one per class
    needs_weight_map: bool = False   # per-pixel weights (the paper's border weight map) are computed for it

    def output_channels(self, num_classes: int) -> int:
        """How many logits the model's head must produce for `num_classes` classes."""
        return 1 if self.sigmoid else num_classes

    def check_config(self, config: Config) -> None:
        if self.sigmoid and config.data.num_classes != 2:
            raise ConfigError(f"train.loss={self.name} needs data.num_classes=2 (one sigmoid channel); "
                              f"use ce for more classes")


LOSSES: Registry[Loss] = Registry("loss", config_key="train.loss")


def register_loss(loss: Loss) -> Loss:
    return LOSSES.register(loss.name, loss)


register_loss(Loss("bce", bce_loss, sigmoid=True))
register_loss(Loss("ce", ce_loss))
register_loss(Loss("dice", dice_loss))
register_loss(Loss("ce_dice", ce_dice_loss))
register_loss(Loss("weighted_ce", weighted_ce_loss, needs_weight_map=True))


def build_loss(name: str, ignore_index: int = IGNORE_INDEX) -> LossFunction:
    """The loss function registered as `name`, leaving out pixels labelled `ignore_index`."""
    return functools.partial(LOSSES[name].function, ignore_index=ignore_index)
