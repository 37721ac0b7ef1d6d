"""The U-Net (Ronneberger et al., 2015) and its common padded variants, one class for both."""
from __future__ import annotations

import torch
from torch import nn

from .base import SegmentationModel, Stage
from .blocks import ConvBlock, crop_and_concat, down_layer, he_init, up_layer
from .registry import register_model


@register_model(name="unet")
class UNet(SegmentationModel):
    """U-Net with `depth` down/up steps and `base_channels` doubled at each step.

    The defaults with padding='valid' are the paper's network: valid 3x3 convs, 2x2 max-pool,
    2x2 up-conv, crop-and-concat, no normalisation; 572x572 in -> 388x388 out, 31.0M parameters for
    1 input channel and 2 classes. padding='same' keeps the output the size of the input (a multiple
    of 2**depth). Input (N, in_channels, H, W) -> logits (N, num_classes, H', W').
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 2, base_channels: int = 64, depth: int = 4,
                 padding: str = "same", norm: str = "none", dropout: float = 0.0,
                 bottleneck_dropout: float = 0.0, activation: str = "relu", down: str = "maxpool",
                 up: str = "transpose"):
        super().__init__(in_channels, num_classes)
        if padding not in ("same", "valid"):
            raise ValueError(f"unknown padding '{padding}' (same, valid)")
        self.padding = padding
        self.depth = depth
        self.num_classes = num_classes
        widths = [base_channels * 2 ** level for level in range(depth + 1)]
        block = {"padding": padding, "norm": norm, "activation": activation, "dropout": dropout}
        self.encoders = nn.ModuleList(
            [ConvBlock(in_channels, widths[0], **block)]
            + [ConvBlock(widths[level], widths[level + 1], **block) for level in range(depth - 1)])
        self.downs = nn.ModuleList(down_layer(down, widths[level], padding, norm, activation) for level in range(depth))
        self.bottleneck = ConvBlock(widths[depth - 1], widths[depth], **block)
        self.bottleneck_dropout = nn.Dropout(bottleneck_dropout) if bottleneck_dropout > 0 else nn.Identity()
        self.ups = nn.ModuleList(up_layer(up, widths[level + 1], widths[level]) for level in reversed(range(depth)))
        self.decoders = nn.ModuleList(ConvBlock(2 * widths[level], widths[level], **block)
                                      for level in reversed(range(depth)))
        self.head = nn.Conv2d(widths[0], num_classes, 1)
        he_init(self, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.padding == "same":
            self.check_input_shape(x.shape[-2], x.shape[-1])
        skips = []
        for encoder, down in zip(self.encoders, self.downs):
            x = encoder(x)
            skips.append(x)
            x = down(x)
        x = self.bottleneck_dropout(self.bottleneck(x))
        for stage, (up, decoder) in enumerate(zip(self.ups, self.decoders)):
            x = decoder(self.join(stage, skips.pop(), up(x)))
        return self.head(x)

    def join(self, stage: int, skip: torch.Tensor, upsampled: torch.Tensor) -> torch.Tensor:
        """The skip connection of decoder stage `stage` (0 = deepest): the paper's crop-and-concat."""
        return crop_and_concat(skip, upsampled)

    @property
    def size_multiple(self) -> int:
        return 2 ** self.depth

    def stages(self) -> list[Stage]:
        encoders = [(f"enc{level + 1}", block) for level, block in enumerate(self.encoders)]
        decoders = [(f"dec{self.depth - stage}", block) for stage, block in enumerate(self.decoders)]
        return [*encoders, ("bottleneck", self.bottleneck), *decoders]

    def output_size(self, input_size: int) -> int:
        """Side length of the output for a given input side length (raises if the size does not fit)."""
        if self.padding == "same":
            return super().output_size(input_size)
        size = input_size
        for _ in range(self.depth):
            size -= 4
            if size <= 0 or size % 2:
                raise ValueError(f"input size {input_size} does not fit a valid-padding U-Net of depth {self.depth}")
            size //= 2
        size -= 4
        for _ in range(self.depth):
            size = 2 * size - 4
        if size <= 0:
            raise ValueError(f"input size {input_size} is too small for a valid-padding U-Net")
        return size

    def input_size_for(self, output_size: int) -> int:
        """The smallest valid input whose output is at least `output_size` pixels wide."""
        if self.padding == "same":
            return super().input_size_for(output_size)
        first = max(output_size, 1)
        for size in range(first, first + 2 ** (self.depth + 1)):
            exact = self._input_for_exact(size)
            if exact is not None:
                return exact
        raise ValueError(f"no valid input size for output {output_size}")  # unreachable for depth >= 1

    def _input_for_exact(self, output_size: int) -> int | None:
        """Input size giving exactly `output_size` for a valid-padding network, or None if none does."""
        size = float(output_size)
        for _ in range(self.depth):
            size = (size + 4) / 2
        if size != int(size):
            return None
        size += 4
        for _ in range(self.depth):
            size = 2 * size + 4
        return int(size)
