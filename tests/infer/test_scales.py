import numpy as np
import pytest
import torch

from unetkit import Predictor
from unetkit.errors import ConfigError
from unetkit.infer.scales import probabilities_to_size, rescale_image, scaled_size


def test_rescale_keeps_uint8_and_rounds_the_size():
    image = torch.randint(0, 256, (3, 37, 53), dtype=torch.uint8)
    assert rescale_image(image, 1.0) is image
    half = rescale_image(image, 0.5)
    assert half.dtype == torch.uint8 and half.shape == (3, 18, 26) == (3, *scaled_size(37, 53, 0.5))
    flat = torch.full((1, 10, 10), 77, dtype=torch.uint8)
    assert torch.equal(rescale_image(flat, 1.5), torch.full((1, 15, 15), 77, dtype=torch.uint8))


def test_probabilities_come_back_on_the_image_grid_and_sum_to_one():
    probabilities = torch.softmax(torch.randn(3, 18, 26), 0)
    back = probabilities_to_size(probabilities, 37, 53)
    assert back.shape == (3, 37, 53)
    assert torch.allclose(back.sum(0), torch.ones(37, 53), atol=1e-5)
    assert probabilities_to_size(probabilities, 18, 26) is probabilities


def test_predictor_averages_the_scales(checkpoint):
    image = np.random.default_rng(3).integers(0, 255, (41, 59, 3), dtype=np.uint8)
    native = Predictor.from_checkpoint(checkpoint, device="cpu", precision="fp32")
    half = Predictor.from_checkpoint(checkpoint, device="cpu", precision="fp32", scales=[0.5])
    both = Predictor.from_checkpoint(checkpoint, device="cpu", precision="fp32", scales=[0.5, 1.0])
    at_native, at_half = native.probabilities(image), half.probabilities(image)
    assert at_half.shape == at_native.shape == (2, 41, 59)
    # the half-size view is the prediction of the shrunk image, brought back to the image's grid
    shrunk = rescale_image(torch.from_numpy(image).permute(2, 0, 1), 0.5).permute(1, 2, 0).numpy()
    expected = probabilities_to_size(native.probabilities(shrunk), 41, 59)
    assert torch.allclose(at_half, expected, atol=1e-5)
    assert not torch.allclose(at_half, at_native, atol=1e-3)
    assert torch.allclose(both.probabilities(image), (at_half + at_native) / 2, atol=1e-5)
    assert both.uncertainty(image).views == 2


def test_scales_out_of_range_are_refused(checkpoint):
    with pytest.raises(ConfigError, match="infer.scales"):
        Predictor.from_checkpoint(checkpoint, scales=[0.0])
    with pytest.raises(ConfigError, match="infer.scales"):
        Predictor.from_checkpoint(checkpoint, scales=[])
