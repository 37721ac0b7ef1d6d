import numpy as np
import pytest

from unetkit.config import load_config
from unetkit.errors import ConfigError
from unetkit.infer.postprocess import (
    fill_holes,
    largest_component,
    postprocess_labels,
    remove_small,
)
from unetkit.infer.postprocess_choice import choose_postprocessing, pooled_score


def _two_blobs():
    mask = np.zeros((20, 20), bool)
    mask[2:10, 2:10] = True     # 64 px
    mask[14:17, 14:17] = True   # 9 px
    return mask


def test_largest_component_keeps_the_biggest_only():
    kept = largest_component(_two_blobs())
    assert kept.sum() == 64 and kept[5, 5] and not kept[15, 15]


def test_components_are_eight_connected():
    diagonal = np.eye(6, dtype=bool)   # a thin diagonal line is one component
    assert largest_component(diagonal).sum() == 6
    assert remove_small(diagonal, 6).sum() == 6


def test_remove_small_by_size():
    assert remove_small(_two_blobs(), 10).sum() == 64
    assert remove_small(_two_blobs(), 9).sum() == 73
    assert remove_small(np.zeros((4, 4), bool), 3).sum() == 0


def test_fill_holes_fills_enclosed_background_only():
    labels = np.zeros((9, 9), np.uint8)
    labels[1:8, 1:8] = 1
    labels[3:6, 3:6] = 0          # a hole
    labels[4, 4] = 2              # another class inside the hole stays
    labels[0:2, 0:2] = 0          # a notch open to the border is no hole
    assert (labels == 1).sum() == 39 and fill_holes(labels == 1).sum() == 48   # the 3x3 hole filled, not the notch
    cleaned = postprocess_labels(labels, ["fill_holes"], 3)
    assert cleaned[3, 3] == 1 and cleaned[4, 4] == 2 and cleaned[0, 0] == 0 and cleaned[1, 1] == 0


def test_steps_apply_per_class_and_dropped_pixels_become_background():
    labels = np.zeros((20, 20), np.uint8)
    labels[_two_blobs()] = 1
    labels[0, 18:20] = 2           # 2 px of class 2
    only_class_1 = postprocess_labels(labels, ["none", "largest_component", "none"], 3)
    assert (only_class_1 == 1).sum() == 64 and (only_class_1 == 2).sum() == 2 and only_class_1[15, 15] == 0
    every_class = postprocess_labels(labels, ["remove_small"], 3, min_size=5)
    assert (every_class == 1).sum() == 73 and (every_class == 2).sum() == 0
    both = postprocess_labels(labels, ["none", "remove_small+fill_holes", "none"], 3, min_size=10)
    assert (both == 1).sum() == 64


def test_config_checks_the_steps_and_their_count():
    config = load_config(None, ["data.format=synthetic", "infer.postprocess=none,largest_component"])
    assert config.infer.postprocess == ["none", "largest_component"]
    with pytest.raises(ConfigError, match="unknown step 'biggest'"):
        load_config(None, ["data.format=synthetic", "infer.postprocess=biggest"])
    with pytest.raises(ConfigError, match="one entry"):
        load_config(None, ["data.format=synthetic", "data.num_classes=3", "infer.postprocess=none,fill_holes"])
    with pytest.raises(ConfigError, match="class 0"):
        postprocess_labels(np.zeros((2, 2), np.uint8), ["fill_holes", "none"], 2)


def test_choice_finds_the_step_that_removes_speckle():
    rng = np.random.default_rng(0)
    truths, predictions = [], []
    for _ in range(3):
        truth = np.zeros((32, 32), np.uint8)
        truth[8:24, 8:24] = 1
        predicted = truth.copy()
        specks = rng.integers(0, 32, (6, 2))
        predicted[specks[:, 0] % 6, specks[:, 1]] = 1    # false specks near the top
        truths.append(truth)
        predictions.append(predicted)
    choice = choose_postprocessing(predictions, truths, ["background", "object"])
    assert choice.postprocess[1] in ("largest_component", "remove_small", "remove_small+fill_holes")
    assert choice.score_after > choice.score_before
    assert choice.score_after == pytest.approx(1.0)
    assert pooled_score(truths, truths, 2) == 1.0


def test_choice_keeps_none_when_nothing_helps():
    truth = np.zeros((16, 16), np.uint8)
    truth[2:6, 2:6] = 1
    truth[10:14, 10:14] = 1          # two true objects: keeping the largest would lose one
    choice = choose_postprocessing([truth.copy()], [truth], ["background", "object"])
    assert choice.postprocess == [] and choice.score_after == choice.score_before
