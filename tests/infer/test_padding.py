import numpy as np
import pytest
import torch

from unetkit.infer import crop_output, mirror_pad, plan_padding, predict_probabilities
from unetkit.models import UNet


@pytest.mark.parametrize("pads", [(1, 2, 3, 0), (7, 9, 4, 11), (0, 0, 0, 0)])
def test_mirror_pad_matches_numpy_reflect(pads):
    """Also for pads larger than the image, where a single reflection is not enough."""
    array = np.arange(5 * 4, dtype=np.float32).reshape(1, 1, 5, 4)
    top, bottom, left, right = pads
    expected = np.pad(array, ((0, 0), (0, 0), (top, bottom), (left, right)), mode="reflect")
    assert np.array_equal(mirror_pad(torch.from_numpy(array), *pads).numpy(), expected)


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("size", [(37, 50), (16, 16), (5, 70)])
def test_any_size_is_covered_and_cropped_back(padding, size):
    model = UNet(1, 3, base_channels=4, depth=2, padding=padding).eval()
    plan = plan_padding(model, *size)
    in_height = size[0] + plan.top + plan.bottom
    in_width = size[1] + plan.left + plan.right
    assert model.output_size(in_height) >= size[0] and model.output_size(in_width) >= size[1]
    probabilities = predict_probabilities(model, torch.randn(1, 1, *size))
    assert probabilities.shape == (1, 3, *size)
    assert torch.allclose(probabilities.sum(1), torch.ones(1, *size), atol=1e-5)


def test_valid_output_is_aligned_with_input():
    """A valid model that copies its centre input pixel must give back the image itself."""
    model = UNet(1, 1, base_channels=2, depth=2, padding="valid")

    class CentreCopy(torch.nn.Module):
        size_multiple = model.size_multiple
        input_size_for = staticmethod(model.input_size_for)
        output_size = staticmethod(model.output_size)

        def forward(self, x):
            margin = (x.shape[-1] - model.output_size(x.shape[-1])) // 2
            margin_y = (x.shape[-2] - model.output_size(x.shape[-2])) // 2
            return x[..., margin_y:x.shape[-2] - margin_y, margin:x.shape[-1] - margin]

    image = torch.randn(1, 1, 23, 31)
    from unetkit.infer.padding import pad_for_model
    padded, plan = pad_for_model(CentreCopy(), image)
    assert torch.equal(crop_output(CentreCopy()(padded), plan), image)
