"""Building blocks of U-Nets: the double 3x3 conv block, down- and up-sampling, crop-and-concat."""
from __future__ import annotations

import torch
from torch import nn


def activation_layer(name: str) -> nn.Module:
    if name == "relu":
        return nn.ReLU(inplace=True)
    if name == "leaky_relu":
        return nn.LeakyReLU(0.01, inplace=True)
    raise ValueError(f"unknown activation '{name}' (relu, leaky_relu)")

def norm_layer(name: str, channels: int) -> nn.Module:
    if name == "batch":
        return nn.BatchNorm2d(channels)
    if name == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm '{name}' (batch, none)")

class ConvBlock(nn.Sequential):
    """Two 3x3 convs, each followed by norm and activation; optional dropout between them.

    padding='valid' shrinks each side by 2 px (the 2015 paper); 'same' keeps the size.
    """

    def __init__(self, in_channels: int, out_channels: int, padding: str, norm: str, activation: str,
                 dropout: float = 0.0):
        pad = 1 if padding == "same" else 0
        bias = norm == "none"  # a bias before BatchNorm is redundant
        layers = [nn.Conv2d(in_channels, out_channels, 3, padding=pad, bias=bias),
                  norm_layer(norm, out_channels), activation_layer(activation)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers += [nn.Conv2d(out_channels, out_channels, 3, padding=pad, bias=bias),
                   norm_layer(norm, out_channels), activation_layer(activation)]
        super().__init__(*layers)

def down_layer(kind: str, channels: int, padding: str, norm: str, activation: str) -> nn.Module:
    """Halve the resolution: 2x2 max-pool, or a learned stride-2 conv (3x3 for same, 2x2 for valid)."""
    if kind == "maxpool":
        return nn.MaxPool2d(2)
    if kind == "strided_conv":
        kernel, pad = (3, 1) if padding == "same" else (2, 0)
        return nn.Sequential(nn.Conv2d(channels, channels, kernel, stride=2, padding=pad, bias=norm == "none"),
                             norm_layer(norm, channels), activation_layer(activation))
    raise ValueError(f"unknown down '{kind}' (maxpool, strided_conv)")

def up_layer(kind: str, in_channels: int, out_channels: int) -> nn.Module:
    """Double the resolution: 2x2 transposed conv, or nearest/bilinear upsampling + 1x1 conv."""
    if kind == "transpose":
        return nn.ConvTranspose2d(in_channels, out_channels, 2, stride=2)
    if kind in ("nearest", "bilinear"):
        upsample = nn.Upsample(scale_factor=2, mode=kind, align_corners=False if kind == "bilinear" else None)
        return nn.Sequential(upsample, nn.Conv2d(in_channels, out_channels, 1))
    raise ValueError(f"unknown up '{kind}' (transpose, bilinear, nearest)")

def center_crop(tensor: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Crop the centre (height, width) of (N, C, H, W); a no-op when the sizes already match."""
    top = (tensor.shape[-2] - height) // 2
    left = (tensor.shape[-1] - width) // 2
    if top == 0 and left == 0 and tensor.shape[-2] == height and tensor.shape[-1] == width:
        return tensor
    return tensor[..., top:top + height, left:left + width]

def crop_and_concat(skip: torch.Tensor, upsampled: torch.Tensor) -> torch.Tensor:
    """The paper's skip connection: crop the encoder feature map to the decoder's size and concatenate."""
    return torch.cat([center_crop(skip, upsampled.shape[-2], upsampled.shape[-1]), upsampled], dim=1)

def he_init(module: nn.Module, activation: str) -> None:
    """He (Kaiming) normal initialisation of every conv, as in the paper: std = sqrt(2 / fan_in)."""
    nonlinearity = "leaky_relu" if activation == "leaky_relu" else "relu"
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(layer.weight, a=0.01 if nonlinearity == "leaky_relu" else 0,
                                    mode="fan_in", nonlinearity=nonlinearity)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.ones_(layer.weight)
            nn.init.zeros_(layer.bias)
