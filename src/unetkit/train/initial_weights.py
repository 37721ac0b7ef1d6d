"""Where a new run's weights start: random, a pretrained encoder file, or another unetkit checkpoint."""
from __future__ import annotations

import logging
from pathlib import Path

import torch

from ..config import Config
from ..errors import ConfigError
from ..models import ModelMeta, Normalization, SegmentationModel, load_checkpoint
from ..models.encoder_unet import encoder_of
from ..models.pretrained import resolve_weights_file

log = logging.getLogger(__name__)


def encoder_weights_file(config: Config) -> Path:
    """model.encoder_weights as a local file: a path, or `imagenet` / a tag found in the caches (or
    downloaded where that is allowed): models/pretrained.py."""
    encoder = encoder_of(config.model.name, config.model.encoder)
    if not encoder:
        raise ConfigError(f"model.encoder_weights: model '{config.model.name}' has no pretrained encoder "
                          f"(model.name=unet model.encoder=resnet34 or tu-<timm model>; or vgg16_unet, "
                          f"resnet18_unet, resnet34_unet, resnet50_unet)")
    return resolve_weights_file(encoder, config.model.encoder_weights)


def load_encoder_weights(model: SegmentationModel, config: Config) -> Normalization:
    """Pretrained encoder weights from model.encoder_weights; returns the input statistics they were
    trained with (ImageNet's for torchvision, the timm model's pretrained config for tu-*)."""
    path = encoder_weights_file(config)
    model.load_encoder_weights(path)
    normalization = Normalization.pretrained(*model.encoder.pretrained_statistics, config.data.channels)
    log.info("encoder weights from %s; inputs normalised with their mean %s and std %s", path,
             [round(v, 3) for v in normalization.mean], [round(v, 3) for v in normalization.std])
    return normalization


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
