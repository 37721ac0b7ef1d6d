"""Pretrained-style encoders from torchvision's own definitions, as lists of skip features.

An encoder maps (N, C, H, W) to features shallow to deep, with `channels` and `strides` per feature
(smp's encoder contract). The torchvision network is kept as `self.backbone` with its own parameter
names, so a torchvision state dict (downloaded elsewhere, loaded from a local file) fits it as is;
the classifier head the encoder does not use is dropped from the module and ignored when loading.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..errors import ConfigError


def _replace_first_conv(conv: nn.Conv2d, in_channels: int) -> nn.Conv2d:
    """The same conv for `in_channels` inputs (grey or multi-band images)."""
    if in_channels == conv.in_channels:
        return conv
    return nn.Conv2d(in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                     bias=conv.bias is not None)


def adapt_first_conv_weight(weight: torch.Tensor, in_channels: int) -> torch.Tensor:
    """RGB filters (O, 3, k, k) for another input count: summed for one channel (a grey image is R = G = B),
    else cycled over the channels and rescaled by 3 / in_channels (as smp does)."""
    if weight.shape[1] == in_channels:
        return weight
    if in_channels == 1:
        return weight.sum(1, keepdim=True)
    repeats = -(-in_channels // weight.shape[1])
    return weight.repeat(1, repeats, 1, 1)[:, :in_channels] * (weight.shape[1] / in_channels)


class Encoder(nn.Module):
    """Base: subclasses set backbone, channels, strides, first_conv_key, unused_prefixes, forward,
    and feature_modules() (the module whose output is each returned feature, for explanations)."""
    channels: tuple[int, ...]
    strides: tuple[int, ...]
    first_conv_key: str          # state-dict key (without 'backbone.') of the first conv's weight
    unused_prefixes: tuple[str, ...] = ()

    def __init__(self, in_channels: int):
        super().__init__()
        self.in_channels = in_channels

    @property
    def pretrained_statistics(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """The input mean and std (RGB, 0..1 scale) its pretrained weights were trained with: ImageNet's."""
        return (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

    def load_pretrained_file(self, path: str | Path) -> None:
        self.load_torchvision_weights(path)

    def load_torchvision_weights(self, path: str | Path) -> None:
        """Load a torchvision state dict (.pth/.pt, or .safetensors) into the backbone; a missing or
        unexpected key is a ConfigError naming the file and the first keys."""
        path = Path(path)
        state = read_state_dict(path)
        state = {key: value for key, value in state.items() if not key.startswith(self.unused_prefixes)}
        if self.first_conv_key in state:
            state[self.first_conv_key] = adapt_first_conv_weight(state[self.first_conv_key], self.in_channels)
        own = self.backbone.state_dict()
        missing = [key for key in own if key not in state]
        unexpected = [key for key in state if key not in own]
        if missing or unexpected:
            parts = [f"{label} {', '.join(keys[:3])}{' ...' if len(keys) > 3 else ''}"
                     for label, keys in (("missing", missing), ("unexpected", unexpected)) if keys]
            raise ConfigError(f"{path}: not the weights of {type(self).__name__} ({'; '.join(parts)})")
        wrong = [key for key in own if own[key].shape != state[key].shape]
        if wrong:
            raise ConfigError(f"{path}: {wrong[0]} has shape {tuple(state[wrong[0]].shape)}, "
                              f"{type(self).__name__} needs {tuple(own[wrong[0]].shape)}")
        self.backbone.load_state_dict(state)


NESTED_WEIGHTS = ("state_dict", "model", "model_state_dict", "state_dict_ema", "model_ema")


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """A plain tensor state dict from a local file, never running pickled code."""
    if not path.is_file():
        raise ConfigError(f"{path}: encoder weights file not found (model.encoder_weights)")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file
            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 -- any unreadable file: one line naming it
        first = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise ConfigError(f"{path}: not a readable state dict ({first})") from None
    if isinstance(state, dict) and not all(isinstance(v, torch.Tensor) for v in state.values()):
        # a training checkpoint keeps the weights one level down (torchvision/timm scripts, Lightning, EMA)
        state = next((state[key] for key in NESTED_WEIGHTS if isinstance(state.get(key), dict)), state)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ConfigError(f"{path}: not a state dict of tensors (model.encoder_weights takes torchvision's "
                          f".pth files or .safetensors)")
    return state


class VGG16Encoder(Encoder):
    """torchvision vgg16: the five conv blocks' outputs before each max-pool (strides 1 .. 16)."""
    channels = (64, 128, 256, 512, 512)
    strides = (1, 2, 4, 8, 16)
    first_conv_key = "features.0.weight"
    unused_prefixes = ("classifier.",)
    block_ends = (4, 9, 16, 23, 30)   # the max-pools of vgg16.features

    def __init__(self, in_channels: int = 3):
        super().__init__(in_channels)
        # torchvision's own layer list for vgg16 (config "D"), without the 120M-parameter classifier
        # that torchvision.models.vgg16() would build only for it to be dropped here
        import torchvision  # here, not at import: it adds 2 s to every unetkit command's start
        features = torchvision.models.vgg.make_layers(torchvision.models.vgg.cfgs["D"], batch_norm=False)
        features[0] = _replace_first_conv(features[0], in_channels)
        for layer in features.modules():  # torchvision's VGG initialisation
            if isinstance(layer, nn.Conv2d):
                nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(layer.bias)
        self.backbone = nn.Module()
        self.backbone.features = features

    def feature_modules(self) -> list[nn.Module]:
        """The ReLU closing each conv block: its output is the block's feature."""
        return [self.backbone.features[end - 1] for end in self.block_ends]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features, start = [], 0
        for end in self.block_ends:
            x = self.backbone.features[start:end](x)
            features.append(x)
            start = end
        return features


class ResNetEncoder(Encoder):
    """torchvision resnet18/34/50: stem (stride 2) and layer1..layer4 (strides 4 .. 32)."""
    strides = (2, 4, 8, 16, 32)
    first_conv_key = "conv1.weight"
    unused_prefixes = ("fc.",)

    def __init__(self, depth: int, in_channels: int = 3):
        super().__init__(in_channels)
        import torchvision
        backbone = getattr(torchvision.models, f"resnet{depth}")(weights=None)
        backbone.conv1 = _replace_first_conv(backbone.conv1, in_channels)
        del backbone.fc, backbone.avgpool
        self.backbone = backbone
        expansion = 4 if depth >= 50 else 1
        self.channels = (64, 64 * expansion, 128 * expansion, 256 * expansion, 512 * expansion)

    def feature_modules(self) -> list[nn.Module]:
        """The stem's ReLU (used only there) and layer1 .. layer4."""
        net = self.backbone
        return [net.relu, net.layer1, net.layer2, net.layer3, net.layer4]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        net = self.backbone
        stem = net.relu(net.bn1(net.conv1(x)))
        layer1 = net.layer1(net.maxpool(stem))
        layer2 = net.layer2(layer1)
        layer3 = net.layer3(layer2)
        return [stem, layer1, layer2, layer3, net.layer4(layer3)]
