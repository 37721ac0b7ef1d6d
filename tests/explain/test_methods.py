"""Every registered CAM method runs through unetkit's layer recording and gives a usable map; the
log-odds and logit scores are what they say."""
import numpy as np
import pytest
import torch

from unetkit.explain import CAM_METHODS, explain
from unetkit.explain.targets import ClassRegionTarget

from ..models.test_contract import _build


@pytest.mark.parametrize("method", list(CAM_METHODS))
def test_every_method_gives_a_map_of_the_image_size(method):
    model = _build("unet", {})   # depth 2, 4 channels: Score-CAM's pass per channel stays cheap
    image = np.random.default_rng(1).integers(0, 255, (30, 41, 3), dtype=np.uint8)
    maps = explain(model, image, 1, layers=["bottleneck", "dec1"], method=method, region="all")
    assert set(maps) == {"bottleneck", "dec1"}
    for cam in maps.values():
        assert cam.shape == (30, 41) and np.isfinite(cam).all() and 0 <= cam.min() <= cam.max() <= 1


def test_unknown_methods_name_the_choices():
    with pytest.raises(Exception, match="unknown CAM method 'magic' .*gradcam, gradcam\\+\\+"):
        explain(_build("unet", {}), np.zeros((16, 16, 3), np.uint8), 1, method="magic")


def test_log_odds_is_shift_free_and_agrees_with_a_sigmoid_head():
    region = torch.ones(4, 4, dtype=torch.bool)
    logits = torch.randn(2, 4, 4)
    shifted = logits + torch.tensor([3.0, 3.0]).view(2, 1, 1)
    target = ClassRegionTarget(1, region)
    assert torch.allclose(target(logits), target(shifted), atol=1e-4)
    sigmoid_head = (logits[1] - logits[0])[None]   # the same classifier with one channel
    assert torch.allclose(target(logits), target(sigmoid_head), atol=1e-4)
    assert torch.allclose(ClassRegionTarget(0, region)(sigmoid_head), -target(sigmoid_head))
    raw = ClassRegionTarget(1, region, score="logit")
    assert torch.allclose(raw(logits), logits[1].sum())
    three = torch.randn(3, 4, 4)
    expected = (three[2] - torch.logsumexp(three[:2], dim=0)).sum()
    assert torch.allclose(ClassRegionTarget(2, region)(three), expected)
