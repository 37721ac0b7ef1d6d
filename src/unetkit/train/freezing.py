"""Freeze then unfreeze a pretrained encoder (the VOC report's recipe): for the first
train.freeze_encoder_epochs epochs the encoder does not learn (requires_grad off, its BatchNorm
statistics fixed in eval mode), optionally at another learning rate and batch size; afterwards it
learns at train.encoder_lr_scale x the decoder's rate. Which phase an epoch is in follows from the
epoch number alone, so a resumed run continues in the right phase."""
from __future__ import annotations

import logging

from torch import nn

from ..config import Config
from ..errors import ConfigError
from ..models import SegmentationModel

log = logging.getLogger(__name__)


def has_encoder(model: SegmentationModel) -> bool:
    return isinstance(getattr(model, "encoder", None), nn.Module)


def parameter_groups(model: SegmentationModel, config: Config) -> list:
    """The optimizer's parameter groups: decoder and head, then the encoder with its lr scale."""
    if config.train.freeze_encoder_epochs and not has_encoder(model):
        raise ConfigError(f"train.freeze_encoder_epochs: model '{config.model.name}' has no encoder to freeze "
                          f"(model.encoder=resnet34 or tu-<timm model>, or vgg16_unet, resnet50_unet, ...)")
    if not has_encoder(model):
        return list(model.parameters())
    encoder = {id(p) for p in model.encoder.parameters()}
    return [{"params": [p for p in model.parameters() if id(p) not in encoder]},
            {"params": list(model.encoder.parameters()), "lr_scale": config.train.encoder_lr_scale}]


def encoder_frozen(config: Config, epoch: int) -> bool:
    """Whether epoch `epoch` (0-based) trains with the encoder frozen."""
    return epoch < config.train.freeze_encoder_epochs


def set_training_mode(model: SegmentationModel, frozen: bool) -> None:
    """model.train(), with a frozen encoder's parameters and BatchNorm statistics held fixed."""
    model.train()
    if has_encoder(model):
        for parameter in model.encoder.parameters():
            parameter.requires_grad_(not frozen)
        if frozen:
            model.encoder.eval()
