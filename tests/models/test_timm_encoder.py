"""timm encoders under the U-Net decoder (issue 29): feature stages, depth, errors, freezing, the
config's `model.name=unet model.encoder=tu-...`, and the torchvision encoder U-Nets unchanged.
(The SegmentationModel contract over five timm families is in test_contract.py.)"""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from unetkit.config import load_config
from unetkit.errors import ConfigError
from unetkit.models import build_model
from unetkit.train.freezing import parameter_groups, set_training_mode

PREVIOUS = Path(__file__).parents[1] / "fixtures" / "previous_main"


def test_features_follow_timm_feature_info_and_encoder_depth():
    whole = build_model("encoder_unet", 3, 2, encoder="tu-regnety_002")
    assert whole.encoder.strides == (2, 4, 8, 16, 32) and whole.size_multiple == 32
    shallow = build_model("encoder_unet", 3, 2, encoder="tu-regnety_002", encoder_depth=3)
    assert shallow.encoder.strides == (2, 4, 8) and shallow.size_multiple == 8
    assert shallow.encoder.channels == whole.encoder.channels[:3]
    assert sum(p.numel() for p in shallow.parameters()) < sum(p.numel() for p in whole.parameters()) / 2
    with torch.no_grad():
        assert shallow(torch.randn(1, 3, 24, 40)).shape == (1, 2, 24, 40)   # a multiple of 8 is enough now
    stages = [name for name, _ in shallow.stages()]
    assert stages == ["enc1", "enc2", "bottleneck", "dec2", "dec1", "final"]


def test_a_stride_4_stem_is_brought_back_to_full_resolution():
    model = build_model("encoder_unet", 1, 3, encoder="tu-convnext_atto")
    assert model.encoder.strides[0] == 4
    with torch.no_grad():
        assert model(torch.randn(2, 1, 64, 96)).shape == (2, 3, 64, 96)


@pytest.mark.parametrize(("args", "words"), [
    ({"encoder": "tu-no_such_net"}, "timm has no model 'no_such_net'"),
    ({"encoder": "tu-convnext_atto", "encoder_depth": 5}, "has 4 feature stages"),
    ({"encoder": "resnet34", "encoder_depth": 3}, "keep their 5 stages"),
    ({"encoder": "resnet101"}, "not an encoder"),
    ({"encoder": ""}, "model.encoder is empty"),
])
def test_wrong_encoders_are_one_config_error(args, words):
    with pytest.raises(ConfigError, match=words) as error:
        build_model("encoder_unet", 3, 2, **args)
    assert "\n" not in str(error.value)


def test_unet_with_an_encoder_is_the_encoder_unet_and_other_models_refuse_it(tiny_config):
    config = load_config(None, ["data.format=synthetic", "model.name=unet", "model.encoder=tu-resnet18d",
                                "model.encoder_depth=4"])
    assert config.model.name == "encoder_unet"
    from unetkit.train.setup import model_args_for
    assert model_args_for(config) == {"encoder": "tu-resnet18d", "encoder_depth": 4, "up": "transpose",
                                      "decoder_width": 256, "head_kernel": 3}
    other = load_config(None, ["data.format=synthetic", "model.name=resnet34_unet", "model.encoder=tu-resnet18d"])
    with pytest.raises(ConfigError, match="model.encoder='tu-resnet18d' does not apply to model 'resnet34_unet'"):
        model_args_for(other)
    with pytest.raises(ConfigError, match="model.encoder_depth"):
        load_config(None, ["data.format=synthetic", "model.encoder_depth=-1"])


def test_a_timm_encoder_freezes_and_takes_its_own_learning_rate(tiny_config):
    model = build_model("encoder_unet", 3, 2, encoder="tu-mobilenetv3_small_100")
    tiny_config.train.encoder_lr_scale = 0.1
    decoder, encoder = parameter_groups(model, tiny_config)
    assert encoder["lr_scale"] == 0.1
    assert {id(p) for p in encoder["params"]} == {id(p) for p in model.encoder.backbone.parameters()}
    set_training_mode(model, frozen=True)
    assert not any(p.requires_grad for p in model.encoder.parameters()) and not model.encoder.training
    assert all(p.requires_grad for p in decoder["params"])
    set_training_mode(model, frozen=False)
    assert all(p.requires_grad for p in model.parameters())


def test_the_torchvision_encoder_unets_are_those_of_the_previous_main():
    """Old checkpoints of vgg16/resnet*_unet load unchanged: the same state-dict keys and shapes and
    the same arguments as the previous main built (a 1-channel, 3-class model), and the same
    outputs from the same seed (both recorded by commit dee49a1 in tests/fixtures/previous_main)."""
    recorded = json.loads((PREVIOUS / "encoder_unet_state_shapes.json").read_text())
    for name, old in recorded.items():
        with torch.device("meta"):
            model = build_model(name, 1, 3)
        assert model.spec.args == old["spec_args"], name
        assert {key: list(value.shape) for key, value in model.state_dict().items()} == old["state"], name
    outputs = np.load(PREVIOUS / "encoder_unet_outputs.npz")
    for name in ("vgg16_unet", "resnet18_unet"):
        torch.manual_seed(0)
        model = build_model(name, 1, 3).eval()
        with torch.no_grad():
            np.testing.assert_allclose(model(torch.from_numpy(outputs["image"])).numpy(), outputs[name], atol=1e-6)
