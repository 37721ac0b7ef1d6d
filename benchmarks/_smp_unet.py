"""The segmentation_models.pytorch peers used by the benchmarks, under unetkit's SegmentationModel contract."""
from __future__ import annotations

from unetkit.models import SegmentationModel


class SmpUnet(SegmentationModel):
    """smp's Unet on `encoder` (resnet34, or smp's tu-<timm model>), no pretrained weights: same padding,
    input sides a multiple of 32 (the encoder's output stride), so unetkit's Predictor pads and tiles
    it as its own."""
    encoder = "resnet34"
    encoder_weights = None   # "imagenet": smp's own loader reads them (from the Hugging Face cache, offline)

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(in_channels, out_channels)
        import segmentation_models_pytorch as smp
        self.net = smp.Unet(self.encoder, encoder_weights=self.encoder_weights, in_channels=in_channels,
                            classes=out_channels)

    @property
    def size_multiple(self) -> int:
        return 32

    def forward(self, x):
        return self.net(x)


class SmpUnetResNet34(SmpUnet):
    encoder = "resnet34"


def smp_unet_on(encoder: str, encoder_weights: str | None = None) -> type[SmpUnet]:
    """smp's Unet class for another encoder, e.g. smp_unet_on('tu-convnext_atto'), from scratch or on
    smp's `encoder_weights` ('imagenet')."""
    return type(f"SmpUnet_{encoder.replace('-', '_')}_{encoder_weights}", (SmpUnet,),
                {"encoder": encoder, "encoder_weights": encoder_weights})
