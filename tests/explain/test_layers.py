"""Every registered model lists its layers (stages and convs, in forward order, with channels and
stride) and every listed layer gives a map of the image's size."""
import numpy as np
import pytest
import torch

from unetkit.explain import LayerTable, explain, list_layers
from unetkit.models import MODELS

from ..models.test_contract import CASES, _build, _id


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_every_listed_layer_gives_a_map_of_the_image_size(case):
    model = _build(*case)
    layers = list_layers(model)
    stage_names = [layer.name for layer in layers if layer.kind == "stage"]
    assert stage_names[0] == "enc1" and "bottleneck" in stage_names and "dec1" in stage_names
    assert stage_names.index("bottleneck") < stage_names.index("dec1")
    assert [layer.order for layer in layers] == sorted(layer.order for layer in layers)
    assert all(layer.channels > 0 and layer.stride >= 1 for layer in layers)
    image = np.random.default_rng(0).integers(0, 255, (37, 45, 3), dtype=np.uint8)
    maps = explain(model, image, 1, layers=[layer.name for layer in layers], region="all")
    assert set(maps) == {layer.name for layer in layers}
    assert all(cam.shape == (37, 45) and np.isfinite(cam).all() and cam.max() <= 1.0 for cam in maps.values())


def test_strides_and_channels_of_the_paper_unet_are_its_own():
    """Valid padding: the probe finds the true strides although the maps shrink by the unpadded convs."""
    model = _build("unet", {"padding": "valid"})   # depth 2, base 4
    table = LayerTable(model)
    stages = {layer.name: (layer.channels, layer.stride) for layer in table.stages}
    assert stages == {"enc1": (4, 1), "enc2": (8, 2), "bottleneck": (16, 4), "dec2": (8, 2), "dec1": (4, 1)}
    assert [layer.name for layer in table.default()] == ["bottleneck", "dec2", "dec1"]


def test_a_conv_is_explained_after_its_activation_and_the_sweep_is_every_spatial_conv():
    model = _build("unet", {"norm": "batch"})
    table = LayerTable(model)
    first = table.layers["encoders.0.0"]
    assert isinstance(first.conv, torch.nn.Conv2d) and isinstance(first.module, torch.nn.ReLU)
    assert "Conv2d+ReLU" in first.describe()
    sweep = table.convs()
    # two 3x3 convs in each of the 5 blocks of a depth-2 U-Net, and its two 2x2 up-convs; no 1x1 head
    assert [max(layer.conv.kernel_size) for layer in sweep].count(3) == 2 * 5
    assert [layer.name for layer in sweep if max(layer.conv.kernel_size) == 2] == ["ups.0", "ups.1"]
    assert "head" not in [layer.name for layer in sweep]


def test_a_module_run_twice_per_pass_is_not_offered():
    """torchvision's ResNet blocks call one ReLU two or three times: no single output to explain."""
    model = _build("resnet18_unet", {})
    table = LayerTable(model)
    shared = "encoder.backbone.layer1.0.relu"
    assert shared not in table.layers
    assert "encoder.backbone.layer1.0.conv1" in table.layers


def test_every_model_has_stages():
    assert all(_build(name, {}).stages() for name in MODELS)
