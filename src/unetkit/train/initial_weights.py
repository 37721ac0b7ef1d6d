"""Where a new run's weights start: random, a pretrained encoder file, or another unetkit checkpoint."""
from __future__ import annotations

import logging
from pathlib import Path

import torch

from ..config import Config
from ..errors import ConfigError
from ..models import ModelMeta, Normalization, SegmentationModel, load_checkpoint

log = logging.getLogger(__name__)


def load_encoder_weights(model: SegmentationModel, config: Config) -> Normalization:
    """Pretrained encoder weights from model.encoder_weights; returns the ImageNet statistics they expect."""
    if not hasattr(model, "load_encoder_weights"):
        raise ConfigError(f"model.encoder_weights: model '{config.model.name}' has no pretrained encoder "
                          f"(encoder U-Nets: vgg16_unet, resnet18_unet, resnet34_unet, resnet50_unet)")
    model.load_encoder_weights(config.model.encoder_weights)
    log.info("encoder weights from %s; inputs normalised with ImageNet statistics", config.model.encoder_weights)
    return Normalization.imagenet(config.data.channels)


def init_from_checkpoint(model: SegmentationModel, config: Config) -> Normalization:
    """Start from model.init_from's weights (same model name); tensors whose shape differs (the head,
    for another number of classes) keep their fresh initialisation and are named in the log.
    Returns the checkpoint's normalisation: the weights were trained with it."""
    path = Path(config.model.init_from)
    state = load_checkpoint(path)
    if state["model_name"] != config.model.name:
        raise ConfigError(f"{path}: holds model '{state['model_name']}', this run trains '{config.model.name}' "
                          f"(model.init_from needs the same model)")
    own = model.state_dict()
    fitting = {key: value for key, value in state["model"].items() if key in own and own[key].shape == value.shape}
    fresh = [key for key in own if key not in fitting]
    if len(fresh) == len(own):
        raise ConfigError(f"{path}: none of its weights fit this model (other arguments?)")
    with torch.no_grad():
        model.load_state_dict({**own, **fitting})
    meta = ModelMeta(state["class_names"], Normalization.from_dict(state["normalization"]))
    if fresh:
        log.info("initialised from %s; re-initialised %s (the checkpoint has %d classes, this run %d)",
                 path, ", ".join(fresh), meta.num_classes, config.data.num_classes)
    else:
        log.info("initialised from %s", path)
    return meta.normalization
