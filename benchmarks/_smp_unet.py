"""The segmentation_models.pytorch peer used by the benchmarks, under unetkit's SegmentationModel contract."""
from __future__ import annotations

from unetkit.models import SegmentationModel


class SmpUnetResNet34(SegmentationModel):
    """smp's Unet with a ResNet-34 encoder, no pretrained weights: same padding, input sides a multiple
    of 32 (the encoder's output stride), so unetkit's Predictor pads and tiles it as its own."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(in_channels, out_channels)
        import segmentation_models_pytorch as smp
        self.net = smp.Unet("resnet34", encoder_weights=None, in_channels=in_channels, classes=out_channels)

    @property
    def size_multiple(self) -> int:
        return 32

    def forward(self, x):
        return self.net(x)
