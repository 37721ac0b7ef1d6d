import pytest
import torch

from unetkit.config import load_config
from unetkit.models import UNet
from unetkit.train import model_for_config


def test_paper_network_shape_and_parameters():
    model = UNet(in_channels=1, num_classes=2, padding="valid")
    assert round(sum(p.numel() for p in model.parameters()) / 1e6, 1) == 31.0
    assert model.output_size(572) == 388 and model.input_size_for(388) == 572
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    with torch.no_grad():
        assert model(torch.zeros(1, 1, 572, 572)).shape == (1, 2, 388, 388)


@pytest.mark.parametrize("options", [
    dict(padding="same", norm="batch", up="transpose", down="maxpool"),
    dict(padding="same", norm="batch", up="bilinear", down="strided_conv", activation="leaky_relu"),
    dict(padding="same", norm="none", up="nearest", dropout=0.3, bottleneck_dropout=0.4),
    dict(padding="valid", norm="batch", up="nearest", down="strided_conv"),
])
def test_variants_produce_the_planned_size(options):
    model = UNet(in_channels=3, num_classes=3, base_channels=4, depth=3, **options).eval()
    size = model.input_size_for(40)
    with torch.no_grad():
        out = model(torch.randn(2, 3, size, size))
    assert out.shape == (2, 3, model.output_size(size), model.output_size(size))
    assert model.output_size(size) >= 40


def test_same_padding_rejects_sizes_that_do_not_divide():
    model = UNet(3, 2, base_channels=4, depth=3)
    with pytest.raises(ValueError, match="multiple of 8"):
        model(torch.zeros(1, 3, 30, 32))


def test_up_modes_halve_channels_with_1x1_conv():
    model = UNet(1, 2, base_channels=4, depth=2, up="nearest")
    upsample, conv = model.ups[0]
    assert conv.kernel_size == (1, 1) and conv.in_channels == 16 and conv.out_channels == 8


def test_he_initialisation():
    model = UNet(1, 2, base_channels=64, depth=2)
    conv = model.encoders[1][0]
    fan_in = conv.in_channels * 9
    assert conv.weight.std().item() == pytest.approx((2 / fan_in) ** 0.5, rel=0.05)


def test_lab_network_config():
    """configs/drive_lab.yaml: BN, dropout 0.3/0.4, LeakyReLU, stride-2 conv down, nearest up + 1x1, sigmoid."""
    from pathlib import Path
    config = load_config(Path(__file__).parents[2] / "configs" / "drive_lab.yaml")
    model = model_for_config(config)
    kinds = {type(m).__name__ for m in model.modules()}
    assert {"BatchNorm2d", "LeakyReLU", "Dropout", "Upsample"} <= kinds and "MaxPool2d" not in kinds
    assert model.head.out_channels == 1 and config.train.loss == "bce"
    assert model.bottleneck_dropout.p == 0.4
    assert {m.p for m in model.encoders.modules() if isinstance(m, torch.nn.Dropout)} == {0.3}
