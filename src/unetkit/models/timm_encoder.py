"""Any timm model as a U-Net encoder: `model.encoder=tu-<timm name>` (smp's "universal" encoders).

timm's `features_only=True` turns every model that supports it (ConvNeXt, EfficientNet, RegNet,
MobileNet, ResNeSt, ResNet-D, MiT ...) into a list of feature maps, shallow to deep, with their
channels and strides (`feature_info`): the contract of unetkit's Encoder, so EncoderUNet's decoder
sits on it unchanged. timm builds the network; nothing of timm is copied here.

Pretrained weights come from a local file (resolved by models/pretrained.py from `imagenet`, a tag or
a path): timm's own loader reads it (safetensors, or torch.load with weights_only=True), runs the
model's checkpoint filter and adapts the first conv to grey or multi-band input.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..errors import ConfigError
from .encoders import Encoder

TIMM_PREFIX = "tu-"


def timm_name(encoder: str) -> str:
    """'tu-convnext_atto' -> 'convnext_atto'."""
    return encoder[len(TIMM_PREFIX):]


def _create(name: str, in_channels: int, depth: int, **kwargs) -> nn.Module:
    """timm's feature extractor for `name`, its first `depth` stages (0: all); a name timm does not know,
    or a model without feature maps, is one ConfigError."""
    import timm  # here, not at import: only runs that use a timm encoder pay for it
    options = {"features_only": True, "in_chans": in_channels, **kwargs}
    if depth:
        options["out_indices"] = tuple(range(depth))
    try:
        return timm.create_model(name, **options)
    except (RuntimeError, ValueError, AssertionError, IndexError, KeyError) as error:
        first = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        if not timm.is_model(name.split(".")[0]):
            raise ConfigError(f"model.encoder={TIMM_PREFIX}{name}: timm has no model '{name}' (see "
                              f"timm.list_models(), e.g. tu-resnet18d, tu-efficientnet_b0, tu-convnext_atto)") from None
        raise ConfigError(f"model.encoder={TIMM_PREFIX}{name}: timm cannot build its feature maps "
                          f"(model.encoder_depth={depth or 'all'}): {first}") from None


class TimmEncoder(Encoder):
    """timm's `features_only` network as `self.backbone`; channels and strides from its feature_info."""

    def __init__(self, name: str, in_channels: int = 3, depth: int = 0):
        super().__init__(in_channels)
        self.name, self.depth = name, depth
        backbone = _create(name, in_channels, 0)
        stages = len(backbone.feature_info.channels())
        if depth > stages:
            raise ConfigError(f"model.encoder_depth={depth}: {TIMM_PREFIX}{name} has {stages} feature stages "
                              f"(strides {backbone.feature_info.reduction()})")
        if depth and depth < stages:
            backbone = _create(name, in_channels, depth)
        self.backbone = backbone
        self.channels = tuple(backbone.feature_info.channels())
        self.strides = tuple(backbone.feature_info.reduction())
        if any(deep % shallow for shallow, deep in zip(self.strides, self.strides[1:])):
            raise ConfigError(f"model.encoder={TIMM_PREFIX}{name}: its feature strides {self.strides} do not "
                              f"grow by whole factors; a U-Net decoder needs them to")

    @property
    def pretrained_statistics(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """The input mean and std (RGB, 0..1 scale) its pretrained weights were trained with."""
        config = self.backbone.pretrained_cfg
        return tuple(config.get("mean", (0.485, 0.456, 0.406))), tuple(config.get("std", (0.229, 0.224, 0.225)))

    def feature_modules(self) -> list[nn.Module]:
        """The module whose output is each feature (timm's feature_info names; a FeatureListNet flattens
        'stages.0' into 'stages_0')."""
        modules = dict(self.backbone.named_modules())
        found = []
        for name in self.backbone.feature_info.module_name():
            module = modules.get(name, modules.get(name.replace(".", "_")))
            if module is None:
                raise ValueError(f"{TIMM_PREFIX}{self.name}: no module '{name}' for its feature map")
            found.append(module)
        return found

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return list(self.backbone(x))

    def load_pretrained_file(self, path: str | Path) -> None:
        """The weights of `path` (a timm / Hugging Face checkpoint of this model) into the backbone, read
        by timm's own loader: it is built again with them, so its checkpoint filter and first-conv
        adaptation run as they do for timm's users."""
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: encoder weights file not found (model.encoder_weights)")
        try:
            loaded = _create(self.name, self.in_channels, self.depth, pretrained=True,
                             pretrained_cfg_overlay={"file": str(path)})
        except ConfigError as error:
            raise ConfigError(f"{path}: not the weights of {TIMM_PREFIX}{self.name} ({error})") from None
        except Exception as error:  # noqa: BLE001 -- an unreadable or foreign file: one line naming it
            first = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
            raise ConfigError(f"{path}: not the weights of {TIMM_PREFIX}{self.name} ({first})") from None
        self.backbone.load_state_dict(loaded.state_dict())
