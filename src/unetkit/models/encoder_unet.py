"""U-Nets on a pretrained-style encoder (the VOC report's "improved U-Net", smp's Unet): torchvision's
VGG16 and ResNets, or any timm model with feature maps (`tu-<name>`, timm_encoder.py); a decoder of
upsample + concat + two 3x3 conv-BN-ReLU per stage, and a 3x3 head (1x1 for the torchvision ones under their
older names, whose checkpoints load unchanged).

The decoder starts as smp's does (He-initialised convs for its ReLUs, Xavier for the head), not from
PyTorch's default (Kaiming-uniform with a=sqrt(5), a third of that variance): on ImageNet's
EfficientNet-Lite0 and the same 30 steps on street-scene crops, smp's start brought the training loss from
1.65 to 1.40 and the 3x3 head to 1.11, smp's own Unet 1.13 (benchmarks/decoder_gap.py, docs/benchmarks.md).

`encoder_unet(encoder=...)` is the general model (`model.name=unet model.encoder=tu-convnext_atto`
becomes it); vgg16_unet and resnet18/34/50_unet are its torchvision cases under their older names.
Input sides must be multiples of the encoder's deepest stride (16 for VGG16, 32 for most others); the
Predictor pads any image to that and crops the output back, as for the plain U-Net.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..errors import ConfigError
from .base import SegmentationModel, Stage
from .blocks import ConvBlock, he_init
from .encoders import Encoder, ResNetEncoder, VGG16Encoder
from .registry import register_model
from .timm_encoder import TIMM_PREFIX, TimmEncoder, timm_name

DECODER_TOP_WIDTH = 256   # the deepest decoder stage; each shallower one halves it (smp's defaults: 256 .. 16)


TORCHVISION_ENCODERS = ("vgg16", "resnet18", "resnet34", "resnet50")
NAMED_ENCODER_UNETS = {f"{encoder}_unet": encoder for encoder in TORCHVISION_ENCODERS}   # vgg16_unet -> vgg16


def encoder_of(model_name: str, encoder: str = "") -> str:
    """The encoder a model config trains: model.encoder for encoder_unet, the name's for resnet34_unet
    and the others; '' for a model without one."""
    if model_name == "encoder_unet":
        return encoder
    return NAMED_ENCODER_UNETS.get(model_name, "")


def build_encoder(name: str, in_channels: int, depth: int = 0) -> Encoder:
    """A torchvision encoder by name, or a timm one as tu-<timm name> (its first `depth` stages; 0: all)."""
    if not name:
        raise ConfigError(f"model.encoder is empty: name one ({', '.join(TORCHVISION_ENCODERS)}, or tu-<timm model>)")
    if name.startswith(TIMM_PREFIX):
        return TimmEncoder(timm_name(name), in_channels, depth)
    if depth:
        raise ConfigError(f"model.encoder_depth={depth}: the torchvision encoders keep their 5 stages "
                          f"(encoder_depth applies to tu-* encoders)")
    if name == "vgg16":
        return VGG16Encoder(in_channels)
    if name in TORCHVISION_ENCODERS:
        return ResNetEncoder(int(name.removeprefix("resnet")), in_channels)
    raise ConfigError(f"model.encoder={name!r}: not an encoder ({', '.join(TORCHVISION_ENCODERS)} from "
                      f"torchvision, or tu-<any timm model>, e.g. tu-efficientnet_b0)")


def _upsample(kind: str, channels: int, factor: int = 2) -> nn.Module:
    """x`factor` in each direction (1: nothing, for two features at the same stride)."""
    if factor == 1:
        return nn.Identity()
    if kind == "transpose":
        return nn.ConvTranspose2d(channels, channels, factor, stride=factor)
    if kind in ("bilinear", "nearest"):
        return nn.Upsample(scale_factor=factor, mode=kind, align_corners=False if kind == "bilinear" else None)
    raise ValueError(f"unknown up '{kind}' (transpose, bilinear, nearest)")


class EncoderUNet(SegmentationModel):
    """encoder features f_0 .. f_k (shallow to deep); decoder stage i: up(x) ++ f_i -> ConvBlock, the up
    by the ratio of their strides; if the shallowest feature is below full resolution (ResNets: stride 2,
    ConvNeXt: 4) x2 ups + one ConvBlock."""

    def __init__(self, encoder: Encoder, out_channels: int, up: str = "bilinear",
                 decoder_width: int = DECODER_TOP_WIDTH, head_kernel: int = 1, decoder_init: bool = False):
        super().__init__(encoder.in_channels, out_channels)
        self.encoder = encoder
        block = {"padding": "same", "norm": "batch", "activation": "relu"}
        channels = list(encoder.channels)
        stages = len(channels) - 1
        widths = [max(16, decoder_width >> (stages - 1 - i)) for i in range(stages)]  # shallow to deep
        self.ups = nn.ModuleList()
        self.decoders = nn.ModuleList()
        below = channels[-1]
        for level in reversed(range(stages)):
            self.ups.append(_upsample(up, below, encoder.strides[level + 1] // encoder.strides[level]))
            self.decoders.append(ConvBlock(below + channels[level], widths[level], **block))
            below = widths[level]
        self.final = nn.Identity()
        if encoder.strides[0] > 1:
            steps = [_upsample(up, below) for _ in range(encoder.strides[0].bit_length() - 1)]
            self.final = nn.Sequential(*steps, ConvBlock(below, below // 2, **block))
            below //= 2
        self.head = nn.Conv2d(below, out_channels, head_kernel, padding=head_kernel // 2)
        if decoder_init:
            for part in (self.ups, self.decoders, self.final):
                he_init(part, "relu")
            nn.init.xavier_uniform_(self.head.weight)
            nn.init.zeros_(self.head.bias)

    @property
    def size_multiple(self) -> int:
        return self.encoder.strides[-1]

    def stages(self) -> list[Stage]:
        """enc1 .. from the encoder's feature outputs (the deepest is the bottleneck), dec<k> .. dec1,
        and for ResNets `final`, the stage that brings stride 2 back to full resolution."""
        outputs = self.encoder.feature_modules()
        encoders = [(f"enc{level + 1}", module) for level, module in enumerate(outputs[:-1])]
        decoders = [(f"dec{len(self.decoders) - stage}", block) for stage, block in enumerate(self.decoders)]
        final = [("final", self.final)] if not isinstance(self.final, nn.Identity) else []
        return [*encoders, ("bottleneck", outputs[-1]), *decoders, *final]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input_shape(x.shape[-2], x.shape[-1])
        features = self.encoder(x)
        x = features.pop()
        for up, decoder in zip(self.ups, self.decoders):
            x = decoder(torch.cat([features.pop(), up(x)], dim=1))
        return self.head(self.final(x))

    def load_encoder_weights(self, path: str | Path) -> None:
        """Pretrained encoder weights from a local file (torchvision's or timm's, as the encoder is;
        models/pretrained.py finds it from `imagenet` or a tag)."""
        self.encoder.load_pretrained_file(path)

    def encoder_parameters(self) -> list[nn.Parameter]:
        return list(self.encoder.parameters())


@register_model(earlier_defaults={"head_kernel": 1})
def encoder_unet(in_channels: int, out_channels: int, encoder: str = "resnet34", encoder_depth: int = 0,
                 up: str = "bilinear", decoder_width: int = DECODER_TOP_WIDTH, head_kernel: int = 3) -> EncoderUNet:
    """The U-Net on `encoder`: vgg16, resnet18/34/50 (torchvision) or tu-<timm model>; `encoder_depth`
    stages of a timm encoder (0: all it has); `decoder_width` channels in the deepest decoder stage, halved
    at each shallower one (the decoder is most of an EfficientNet U-Net's arithmetic: 128 quarters it);
    `head_kernel` the head's conv (3 as smp's; checkpoints from before it was an argument have 1)."""
    return EncoderUNet(build_encoder(encoder, in_channels, encoder_depth), out_channels, up, decoder_width,
                       head_kernel, decoder_init=True)


@register_model
def vgg16_unet(in_channels: int, out_channels: int, up: str = "bilinear") -> EncoderUNet:
    return EncoderUNet(VGG16Encoder(in_channels), out_channels, up)


@register_model
def resnet18_unet(in_channels: int, out_channels: int, up: str = "bilinear") -> EncoderUNet:
    return EncoderUNet(ResNetEncoder(18, in_channels), out_channels, up)


@register_model
def resnet34_unet(in_channels: int, out_channels: int, up: str = "bilinear") -> EncoderUNet:
    return EncoderUNet(ResNetEncoder(34, in_channels), out_channels, up)


@register_model
def resnet50_unet(in_channels: int, out_channels: int, up: str = "bilinear") -> EncoderUNet:
    return EncoderUNet(ResNetEncoder(50, in_channels), out_channels, up)
