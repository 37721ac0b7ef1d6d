"""Attention U-Net (Oktay et al., 2018): the U-Net whose skip connections pass through additive
attention gates, so the decoder weighs encoder features by where the coarser level looks."""
from __future__ import annotations

import torch
from torch import nn

from .blocks import center_crop, norm_layer
from .registry import register_model
from .unet import UNet


class AttentionGate(nn.Module):
    """alpha = sigmoid(psi(relu(W_g g + W_x x))); returns x * alpha. x: skip features, g: the gating
    signal (the upsampled decoder features, at x's resolution)."""

    def __init__(self, skip_channels: int, gate_channels: int, inner_channels: int, norm: str):
        super().__init__()
        self.gate = nn.Sequential(nn.Conv2d(gate_channels, inner_channels, 1), norm_layer(norm, inner_channels))
        self.skip = nn.Sequential(nn.Conv2d(skip_channels, inner_channels, 1), norm_layer(norm, inner_channels))
        self.psi = nn.Sequential(nn.ReLU(inplace=True), nn.Conv2d(inner_channels, 1, 1), norm_layer(norm, 1),
                                 nn.Sigmoid())

    def forward(self, skip: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
        return skip * self.psi(self.skip(skip) + self.gate(gate))


@register_model(name="attention_unet")
class AttentionUNet(UNet):
    """UNet's arguments (either padding); an attention gate on every skip connection."""

    def __init__(self, in_channels: int = 1, num_classes: int = 2, base_channels: int = 64, depth: int = 4,
                 padding: str = "same", norm: str = "none", dropout: float = 0.0,
                 bottleneck_dropout: float = 0.0, activation: str = "relu", down: str = "maxpool",
                 up: str = "transpose"):
        super().__init__(in_channels, num_classes, base_channels, depth, padding, norm, dropout, bottleneck_dropout,
                         activation, down, up)
        widths = [base_channels * 2 ** level for level in range(depth)]
        self.gates = nn.ModuleList(AttentionGate(widths[level], widths[level], max(1, widths[level] // 2), norm)
                                   for level in reversed(range(depth)))

    def join(self, stage: int, skip: torch.Tensor, upsampled: torch.Tensor) -> torch.Tensor:
        """The skip, cropped to the decoder's size and weighted by its attention gate, then concatenated."""
        skip = center_crop(skip, upsampled.shape[-2], upsampled.shape[-1])
        return torch.cat([self.gates[stage](skip, upsampled), upsampled], dim=1)
