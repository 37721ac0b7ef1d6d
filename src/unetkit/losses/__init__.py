"""Segmentation losses, registered by name (registry.py) with what the trainer needs to know about each.

basic.py: bce, ce, dice, ce_dice, weighted_ce (the paper's border weights); focal.py, tversky.py,
lovasz.py, cldice.py: losses for small classes and thin structures; class_weights.py: weights from
the training masks' class frequencies. Any two or more combine as a sum: train.loss=ce+tversky.
"""
from .basic import BorderWeightOptions, bce_loss, ce_dice_loss, ce_loss, dice_loss, weighted_ce_loss
from .class_weights import (
    CLASS_WEIGHT_METHODS,
    class_weights_from_counts,
    resolve_class_weights,
)
from .cldice import ClDiceOptions, cldice_loss, soft_skeleton
from .common import class_probabilities
from .focal import FocalOptions, focal_loss
from .lovasz import lovasz_loss
from .registry import (
    LOSSES,
    Loss,
    LossFunction,
    build_loss,
    loss_denominator,
    register_loss,
)
from .tversky import TverskyOptions, tversky_loss

register_loss(Loss("bce", bce_loss, sigmoid=True, mean_over="class_weighted"))
register_loss(Loss("ce", ce_loss, softmax_only=True, mean_over="class_weighted"))
register_loss(Loss("dice", dice_loss))
register_loss(Loss("ce_dice", ce_dice_loss))
register_loss(Loss("weighted_ce", weighted_ce_loss, softmax_only=True, needs_weight_map=True, mean_over="valid",
                   options=BorderWeightOptions))
register_loss(Loss("focal", focal_loss, options=FocalOptions))
register_loss(Loss("tversky", tversky_loss, options=TverskyOptions))
register_loss(Loss("lovasz", lovasz_loss))
register_loss(Loss("cldice", cldice_loss, options=ClDiceOptions))

__all__ = [
    "BorderWeightOptions",
    "ClDiceOptions",
    "FocalOptions",
    "TverskyOptions",
    "CLASS_WEIGHT_METHODS",
    "LOSSES",
    "Loss",
    "LossFunction",
    "bce_loss",
    "build_loss",
    "ce_dice_loss",
    "ce_loss",
    "class_probabilities",
    "class_weights_from_counts",
    "cldice_loss",
    "dice_loss",
    "focal_loss",
    "loss_denominator",
    "lovasz_loss",
    "register_loss",
    "resolve_class_weights",
    "soft_skeleton",
    "tversky_loss",
    "weighted_ce_loss",
]
