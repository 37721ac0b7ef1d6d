import numpy as np
import pytest
import torch

from unetkit import Predictor
from unetkit.infer.optimize import fold_batchnorm, optimize_for_inference
from unetkit.models import Normalization, UNet


def _trained_statistics_unet(padding="same"):
    """A U-Net whose BatchNorms hold non-trivial running statistics and affine parameters."""
    torch.manual_seed(0)
    model = UNet(3, 2, base_channels=8, depth=2, norm="batch", padding=padding)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(2, 3, 64 if padding == "same" else 92, 64 if padding == "same" else 92) * 2 + 1)
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
    return model.eval()


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_folded_model_computes_the_same_function(padding):
    model = _trained_statistics_unet(padding)
    image = torch.randn(1, 3, 64 if padding == "same" else 92, 64 if padding == "same" else 92)
    expected = model(image)
    folded = optimize_for_inference(model, "fp32")
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert torch.allclose(folded(image), expected, atol=1e-4)
    # the original is untouched: still has its BatchNorms and still trains
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()) == 2 * 5 + 0
    assert all(p.requires_grad for p in model.parameters())


def test_bf16_copy_has_bf16_weights_and_close_outputs():
    model = _trained_statistics_unet()
    image = torch.randn(1, 3, 64, 64)
    optimized = optimize_for_inference(model, "bf16")
    assert {p.dtype for p in optimized.parameters()} == {torch.bfloat16}
    reference = torch.softmax(model(image), 1)
    with torch.no_grad():
        got = torch.softmax(optimized(image.to(torch.bfloat16)).float(), 1)
    assert (got - reference).abs().max() < 0.05


def test_folding_needs_eval_mode():
    with pytest.raises(ValueError, match="eval mode"):
        fold_batchnorm(UNet(3, 2, base_channels=8, depth=2, norm="batch").train())


def test_optimized_predictor_matches_plain_predictor():
    model = _trained_statistics_unet()
    classes = ["background", "foreground"]
    image = np.random.default_rng(0).integers(0, 256, (70, 90, 3), dtype=np.uint8)
    normalization = Normalization((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    plain = Predictor(model, normalization, classes, precision="fp32").probabilities(image)
    optimized = Predictor(model, normalization, classes, precision="fp32", optimize=True).probabilities(image)
    assert torch.allclose(plain, optimized, atol=1e-4)
