"""Whether a dataset has an up direction (data/layout.py), measured from made-up masks of both kinds."""
import numpy as np
import pytest

from unetkit.data.layout import UPRIGHT_SCORE, describe_layout, mean_rows


def test_mean_rows_of_a_mask():
    plane = np.zeros((5, 4), np.int64)
    plane[0] = 7          # the top row only
    plane[3:] = 2         # the two bottom rows
    rows = mean_rows(plane)
    assert rows[7] == (0.0, 4) and rows[2] == (pytest.approx(0.875), 8) and rows[0][1] == 8


def _scenes(count, upright, seed=0):
    """Masks with sky (1) above road (2) over background (0); not upright: each turned by a random
    multiple of 90 degrees or flipped upside down."""
    rng = np.random.default_rng(seed)
    masks = []
    for _ in range(count):
        mask = np.zeros((40, 40), np.int64)
        mask[:rng.integers(8, 14)] = 1
        mask[rng.integers(28, 34):] = 2
        if not upright:
            mask = np.rot90(mask, rng.integers(0, 4)) if rng.random() < 0.7 else mask[::-1]
        masks.append(mean_rows(np.ascontiguousarray(mask)))
    return masks


def test_sky_on_top_is_upright_and_turned_scenes_are_not():
    names = {0: "background", 1: "sky", 2: "road"}
    upright = describe_layout(_scenes(12, True), names)
    assert upright.upright and upright.score > UPRIGHT_SCORE
    assert upright.rows["sky"][0] < 0.2 and upright.rows["road"][0] > 0.8 and upright.rows["sky"][2] == 12
    assert "keeps to the" in upright.reason and "sky 0.1" in upright.detail
    turned = describe_layout(_scenes(12, False), names)
    assert not turned.upright and turned.score <= UPRIGHT_SCORE and "no class keeps" in turned.reason


def test_rare_classes_and_few_masks_do_not_decide():
    names = {0: "background", 1: "sky"}
    tiny_sky = [{0: (0.5, 10_000), 1: (0.02, 5)} for _ in range(10)]   # 0.05% of the pixels
    assert not describe_layout(tiny_sky, names).upright
    few = describe_layout(_scenes(2, True), {0: "background", 1: "sky", 2: "road"})
    assert not few.upright and "too few" in few.reason
