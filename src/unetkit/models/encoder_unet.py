"""U-Nets on a torchvision encoder (the VOC report's "improved U-Net"): VGG16 or ResNet encoders,
a decoder of upsample + concat + two 3x3 conv-BN-ReLU per stage, and a 1x1 head.

Input sides must be multiples of the encoder's deepest stride (16 for VGG16, 32 for ResNets); the
Predictor pads any image to that and crops the output back, as for the plain U-Net.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .base import SegmentationModel, Stage
from .blocks import ConvBlock
from .encoders import Encoder, ResNetEncoder, VGG16Encoder
from .registry import register_model

DECODER_TOP_WIDTH = 256   # the deepest decoder stage; each shallower one halves it (smp's defaults)


def _upsample(kind: str, channels: int) -> nn.Module:
    if kind == "transpose":
        return nn.ConvTranspose2d(channels, channels, 2, stride=2)
    if kind in ("bilinear", "nearest"):
        return nn.Upsample(scale_factor=2, mode=kind, align_corners=False if kind == "bilinear" else None)
    raise ValueError(f"unknown up '{kind}' (transpose, bilinear, nearest)")


class EncoderUNet(SegmentationModel):
    """encoder features f_0 .. f_k (shallow to deep); decoder stage i: up(x) ++ f_i -> ConvBlock; if the
    shallowest feature is below full resolution (ResNets: stride 2) one more up + ConvBlock."""

    def __init__(self, encoder: Encoder, out_channels: int, up: str = "bilinear"):
        super().__init__(encoder.in_channels, out_channels)
        self.encoder = encoder
        block = {"padding": "same", "norm": "batch", "activation": "relu"}
        channels = list(encoder.channels)
        stages = len(channels) - 1
        widths = [max(16, DECODER_TOP_WIDTH >> (stages - 1 - i)) for i in range(stages)]  # shallow to deep
        self.ups = nn.ModuleList()
        self.decoders = nn.ModuleList()
        below = channels[-1]
        for level in reversed(range(stages)):
            self.ups.append(_upsample(up, below))
            self.decoders.append(ConvBlock(below + channels[level], widths[level], **block))
            below = widths[level]
        self.final = nn.Identity()
        if encoder.strides[0] > 1:
            steps = [_upsample(up, below) for _ in range(encoder.strides[0].bit_length() - 1)]
            self.final = nn.Sequential(*steps, ConvBlock(below, below // 2, **block))
            below //= 2
        self.head = nn.Conv2d(below, out_channels, 1)

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
        """Pretrained encoder weights from a local torchvision file (see docs/voc.md)."""
        self.encoder.load_torchvision_weights(path)

    def encoder_parameters(self) -> list[nn.Parameter]:
        return list(self.encoder.parameters())


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
