"""The one place that maps model names to classes (timm-style): build_model(config.model, ...)."""
from __future__ import annotations

from collections.abc import Callable

from torch import nn

from ..config import ModelConfig
from .unet import UNet


def _build_unet(config: ModelConfig, in_channels: int, out_channels: int) -> nn.Module:
    return UNet(in_channels=in_channels, num_classes=out_channels, base_channels=config.base_channels,
                depth=config.depth, padding=config.padding, norm=config.norm, dropout=config.dropout,
                bottleneck_dropout=config.bottleneck_dropout, activation=config.activation,
                down=config.down, up=config.up)


MODELS: dict[str, Callable[[ModelConfig, int, int], nn.Module]] = {"unet": _build_unet}


def build_model(config: ModelConfig, in_channels: int, out_channels: int) -> nn.Module:
    """Instantiate the model named by config.name with `out_channels` output logits."""
    if config.name not in MODELS:
        raise ValueError(f"unknown model '{config.name}' (available: {', '.join(MODELS)})")
    return MODELS[config.name](config, in_channels, out_channels)
