"""UNet++ (Zhou et al., 2018): nested, dense skip pathways between encoder and decoder.

Node X(i, j) (level i, column j) = ConvBlock([X(i, 0), ..., X(i, j-1), up(X(i+1, j-1))]); the
output comes from X(0, depth), or with deep_supervision=True from the mean of the heads on
X(0, 1) .. X(0, depth). Same padding; input sides a multiple of 2**depth.
"""
from __future__ import annotations

import torch
from torch import nn

from .base import SegmentationModel, Stage
from .blocks import ConvBlock, down_layer, he_init, up_layer
from .registry import register_model


@register_model(name="unetpp")
class UNetPlusPlus(SegmentationModel):

    def __init__(self, in_channels: int = 3, num_classes: int = 2, base_channels: int = 32, depth: int = 4,
                 norm: str = "batch", dropout: float = 0.0, activation: str = "relu", down: str = "maxpool",
                 up: str = "transpose", deep_supervision: bool = False):
        super().__init__(in_channels, num_classes)
        self.depth = depth
        self.deep_supervision = deep_supervision
        widths = [base_channels * 2 ** level for level in range(depth + 1)]
        block = {"padding": "same", "norm": norm, "activation": activation, "dropout": dropout}
        self.downs = nn.ModuleList(down_layer(down, widths[level], "same", norm, activation) for level in range(depth))
        self.nodes = nn.ModuleDict()
        self.ups = nn.ModuleDict()
        for level in range(depth + 1):
            self.nodes[f"{level}_0"] = ConvBlock(in_channels if level == 0 else widths[level - 1], widths[level],
                                                 **block)
        for column in range(1, depth + 1):
            for level in range(depth + 1 - column):
                self.ups[f"{level}_{column}"] = up_layer(up, widths[level + 1], widths[level])
                self.nodes[f"{level}_{column}"] = ConvBlock(widths[level] * (column + 1), widths[level], **block)
        heads = depth if deep_supervision else 1
        self.heads = nn.ModuleList(nn.Conv2d(widths[0], num_classes, 1) for _ in range(heads))
        he_init(self, activation)

    @property
    def size_multiple(self) -> int:
        return 2 ** self.depth

    def stages(self) -> list[Stage]:
        """enc1 .. = X(0..depth-1, 0); bottleneck = X(depth, 0); dec<i+1> = X(i, depth - i), the nodes
        on the way up to the output (the nested nodes in between are layers `nodes.<i>_<j>`)."""
        encoders = [(f"enc{level + 1}", self.nodes[f"{level}_0"]) for level in range(self.depth)]
        decoders = [(f"dec{level + 1}", self.nodes[f"{level}_{self.depth - level}"])
                    for level in reversed(range(self.depth))]
        return [*encoders, ("bottleneck", self.nodes[f"{self.depth}_0"]), *decoders]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input_shape(x.shape[-2], x.shape[-1])
        grid: dict[tuple[int, int], torch.Tensor] = {(0, 0): self.nodes["0_0"](x)}
        for level in range(1, self.depth + 1):
            grid[level, 0] = self.nodes[f"{level}_0"](self.downs[level - 1](grid[level - 1, 0]))
        for column in range(1, self.depth + 1):
            for level in range(self.depth + 1 - column):
                inputs = [grid[level, j] for j in range(column)]
                inputs.append(self.ups[f"{level}_{column}"](grid[level + 1, column - 1]))
                grid[level, column] = self.nodes[f"{level}_{column}"](torch.cat(inputs, dim=1))
        if not self.deep_supervision:
            return self.heads[0](grid[0, self.depth])
        return torch.stack([head(grid[0, column + 1]) for column, head in enumerate(self.heads)]).mean(0)
