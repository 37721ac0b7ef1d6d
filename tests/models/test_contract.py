"""Every registered model keeps the SegmentationModel contract (smp's BaseModelTester, timm's tests
over list_models()): random weights, no training. A model is tested here the day it is registered."""
import numpy as np
import pytest
import torch

from unetkit import Predictor
from unetkit.config import InferConfig
from unetkit.infer import predict_probabilities
from unetkit.models import (
    MODELS,
    ModelMeta,
    Normalization,
    SegmentationModel,
    build_model,
    load_model,
    model_arguments,
    save_checkpoint,
)

SMALL = {"base_channels": 4, "depth": 2}   # where a model takes them: fast tests
VARIANTS = {"unet": [{"padding": "valid"}, {"up": "bilinear", "down": "strided_conv"}],
            "attention_unet": [{"padding": "valid", "norm": "batch"}],
            "unetpp": [{"deep_supervision": True, "up": "bilinear"}],
            # small timm encoders of five families (issue 29); regnety at 4 of its 5 stages
            "encoder_unet": [{"encoder": "tu-resnet18d"}, {"encoder": "tu-efficientnet_b0"},
                             {"encoder": "tu-convnext_atto", "up": "transpose"}, {"encoder": "tu-mobilenetv3_small_100"},
                             {"encoder": "tu-regnety_002", "encoder_depth": 4}]}
CASES = [(name, {}) for name in MODELS] + [(name, extra) for name, extras in VARIANTS.items() for extra in extras]


def _build(name, extra, in_channels=3, out_channels=2):
    torch.manual_seed(0)
    args = {key: value for key, value in {**SMALL, **extra}.items() if key in model_arguments(name)}
    return build_model(name, in_channels, out_channels, **args).eval()


def _id(case):
    name, extra = case
    return name + "".join(f"-{key}={value}" for key, value in extra.items())


@pytest.fixture(params=CASES, ids=[_id(c) for c in CASES])
def model(request):
    return _build(*request.param)


def test_is_a_segmentation_model_that_knows_its_spec(model):
    assert isinstance(model, SegmentationModel)
    assert (model.in_channels, model.out_channels) == (3, 2) == (model.spec.in_channels, model.spec.out_channels)
    assert model.spec.name in MODELS and model.padding in ("same", "valid")


def test_output_has_the_planned_size(model):
    for wanted in (1, 33, 64):
        size = model.input_size_for(wanted)
        assert model.output_size(size) >= wanted
        with torch.no_grad():
            out = model(torch.randn(1, 3, size, model.input_size_for(wanted + 7)))
        assert out.shape == (1, 2, model.output_size(size), model.output_size(model.input_size_for(wanted + 7)))


def test_input_size_for_is_the_smallest_that_fits(model):
    for wanted in (1, 20, 57):
        size = model.input_size_for(wanted)
        smaller_fits = [s for s in range(1, size) if _fits(model, s) and model.output_size(s) >= wanted]
        assert not smaller_fits, (wanted, size, smaller_fits[:3])


def _fits(model, size):
    try:
        model.output_size(size)
        return True
    except ValueError:
        return False


def test_tiled_prediction_agrees_with_the_whole_image(model):
    """valid padding: the paper's overlap-tile is exact; same padding: blended windows give the same labels
    almost everywhere (random weights: an untrained network's border effects reach far, and a He-initialised
    decoder's saturated softmax makes probabilities differ where the labels agree; a misplaced or mis-weighted
    window disagrees on a large share)."""
    image = np.random.default_rng(0).integers(0, 256, (70, 90, 3), dtype=np.uint8)
    normalization = Normalization((0.5,) * 3, (0.25,) * 3)
    whole = Predictor(model, normalization, ["a", "b"], InferConfig(tile=0), precision="fp32").probabilities(image)
    tile = model.input_size_for(40)
    tiled = Predictor(model, normalization, ["a", "b"], InferConfig(tile=tile, overlap=0.5),
                      precision="fp32").probabilities(image)
    assert tiled.shape == whole.shape == (2, 70, 90)
    if model.padding == "valid":
        assert torch.allclose(tiled, whole, atol=1e-5)
    else:
        # a near-uniform softmax (PyTorch's default init) agrees in probabilities, a confident one in labels
        close, agree = (tiled - whole).abs().mean(), (tiled.argmax(0) == whole.argmax(0)).float().mean()
        assert close < 0.02 or agree > 0.95, (close, agree)


def test_whole_image_prediction_pads_any_size(model):
    images = torch.randn(1, 3, 37, 53)
    probabilities = predict_probabilities(model, images)
    assert probabilities.shape == (1, 2, 37, 53)
    assert torch.allclose(probabilities.sum(1), torch.ones(1, 37, 53), atol=1e-5)


def test_checkpoint_round_trip(model, tmp_path):
    meta = ModelMeta(["background", "thing"], Normalization((0.5,) * 3, (0.25,) * 3))
    save_checkpoint(tmp_path / "m.pt", model, meta)
    loaded, loaded_meta = load_model(tmp_path / "m.pt")
    assert type(loaded) is type(model) and loaded.spec == model.spec and loaded_meta == meta
    size = model.input_size_for(24)
    image = torch.randn(1, 3, size, size)
    with torch.no_grad():
        assert torch.equal(loaded(image), model(image))
