"""The contract every segmentation model in unetkit keeps, and that inference relies on (and nothing more).

Input (N, in_channels, H, W) -> logits (N, out_channels, H', W'). A same-padding model returns the
input's size for inputs that are a multiple of `size_multiple`; a valid-padding model (the 2015
U-Net) returns a smaller centre and overrides `output_size` / `input_size_for`. Prediction pads
images with these four facts (infer/padding.py) and tiles with them (infer/tiling.py).

`stages()` names the network's parts people look into (encoder stages, bottleneck, decoder
stages) for explanations (explain/); a model without it is still explained layer by layer.
"""
from __future__ import annotations

from torch import nn

Stage = tuple[str, nn.Module]   # (name people use: enc1, bottleneck, dec1, ...; the module whose output it is)


class SegmentationModel(nn.Module):
    """Base class of unetkit's networks: same-padding defaults for the size contract."""

    padding: str = "same"   # "same": output size == input size; "valid": the output is the input's centre

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels

    @property
    def size_multiple(self) -> int:
        """Input sides must be multiples of this (the product of the strides down to the bottleneck)."""
        return 1

    def output_size(self, input_size: int) -> int:
        """Side length of the output for an input side length; ValueError if the network cannot take it."""
        if input_size <= 0 or input_size % self.size_multiple:
            raise ValueError(f"input size {input_size} is not a multiple of {self.size_multiple}")
        return input_size

    def input_size_for(self, output_size: int) -> int:
        """The smallest input side whose output is at least `output_size` wide."""
        return -(-max(output_size, 1) // self.size_multiple) * self.size_multiple

    def check_input_shape(self, height: int, width: int) -> None:
        """Raise a ValueError that says what to do when (height, width) does not fit the network."""
        for side in (height, width):
            try:
                self.output_size(side)
            except ValueError:
                raise ValueError(f"input {height}x{width} must be a multiple of {self.size_multiple} "
                                 f"(pad it, as the Predictor does)") from None

    def stages(self) -> list[Stage]:
        """Named stages, shallow to deep then back: enc1 .. encN, bottleneck, decN .. dec1 (dec1 at
        full resolution). Each module must run once per forward pass. Default: none."""
        return []
