"""data.foreground_fraction: patches centred on a foreground pixel, rare classes as often as common ones."""
import numpy as np
import pytest
import torch

from unetkit.data import PatchDataset, Sample, class_pixel_counts
from unetkit.data.formats import SampleFiles
from unetkit.models import Normalization

PATCH = 16


def _samples():
    """Three 64x64 images: class 1 a large block in two, class 2 a 2x2 speck (0.1% of the pixels) in one."""
    samples = []
    for index in range(3):
        label = np.zeros((64, 64), np.uint8)
        if index < 2:
            label[8:40, 8:40] = 1
        if index == 2:
            label[50:52, 10:12] = 2
        label[0, :] = 255   # an ignored row
        image = np.full((64, 64, 1), 100, np.uint8)
        samples.append(Sample(f"s{index}", image, label, None, SampleFiles(f"s{index}", None)))
    return samples


def _centres(dataset, count, epoch=0):
    dataset.set_epoch(epoch)
    return [int(dataset[i][1][PATCH // 2, PATCH // 2]) for i in range(count)]


def test_class_pixel_counts_leave_ignored_pixels_out():
    assert class_pixel_counts(_samples(), 3).tolist() == [3 * 64 * 63 - 2 * 32 * 32 - 4, 2 * 32 * 32, 4]


@pytest.mark.parametrize("fraction", [0.0, 0.33, 0.8])
def test_at_least_the_fraction_is_centred_on_foreground(fraction):
    dataset = PatchDataset(_samples(), PATCH, 1500, Normalization((0.4,), (0.1,)), seed=1,
                           foreground_fraction=fraction)
    centres = np.array(_centres(dataset, 1500))
    foreground = np.isin(centres, [1, 2]).mean()
    # random patch centres are uniform on rows/columns 8..56 (49 values), 32 of them in class 1's block,
    # which two images of three hold; forced patches always hit
    natural = 2 / 3 * (32 / 49) ** 2
    assert foreground == pytest.approx(fraction + (1 - fraction) * natural, abs=0.04)
    # the rare class: half of the forced patches (classes drawn uniformly), none by chance
    assert (centres == 2).mean() == pytest.approx(fraction / 2, abs=0.04)


def test_inverse_sqrt_draw_favours_the_rarest_class():
    dataset = PatchDataset(_samples(), PATCH, 1500, Normalization((0.4,), (0.1,)), seed=1,
                           foreground_fraction=0.5, foreground_draw="inverse_sqrt")
    centres = np.array(_centres(dataset, 1500))
    # class 2 has 4 pixels, class 1 2 x 32 x 32: weights 1/2 and 1/45.3 -> class 2 in 96% of the forced patches
    share = (1 / 2) / (1 / 2 + 1 / np.sqrt(2 * 32 * 32))
    assert (centres == 2).mean() == pytest.approx(0.5 * share, abs=0.04)


def test_same_draws_after_resume_and_new_draws_each_epoch():
    def make():
        return PatchDataset(_samples(), PATCH, 64, Normalization((0.4,), (0.1,)), seed=5,
                                    foreground_fraction=0.5)
    first, resumed = make(), make()
    first.set_epoch(3)
    resumed.set_epoch(3)   # a resumed run sets the epoch it continues from
    for index in (0, 7, 63):
        assert all(torch.equal(a, b) for a, b in zip(first[index], resumed[index]))
    assert _centres(make(), 64, epoch=1) != _centres(make(), 64, epoch=2)


def test_zero_fraction_draws_exactly_as_before():
    plain = PatchDataset(_samples(), PATCH, 32, Normalization((0.4,), (0.1,)), seed=2)
    zero = PatchDataset(_samples(), PATCH, 32, Normalization((0.4,), (0.1,)), seed=2, foreground_fraction=0.0)
    assert all(torch.equal(plain[i][1], zero[i][1]) for i in range(32))


def test_config_range_and_letterbox_conflict():
    from unetkit.config import load_config
    from unetkit.errors import ConfigError
    assert load_config(None, ["data.format=synthetic", "data.foreground_fraction=0.33"]).data.foreground_fraction == 0.33
    with pytest.raises(ConfigError, match="inverse_sqrt"):
        load_config(None, ["data.format=synthetic", "data.foreground_draw=rarest"])
    with pytest.raises(ConfigError, match=r"in \[0, 1\]"):
        load_config(None, ["data.format=synthetic", "data.foreground_fraction=1.5"])
    with pytest.raises(ConfigError, match="letterbox"):
        load_config(None, ["data.format=synthetic", "data.foreground_fraction=0.5", "augment.letterbox=true"])
