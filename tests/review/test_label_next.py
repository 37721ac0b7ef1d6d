"""What to label next (issue 30): value from uncertainty and rare classes, diversity among the picks."""
import numpy as np
import pytest

from unetkit.review.label_next import Candidate, candidate, rank_unlabeled, rarity_weights


def test_rare_classes_weigh_more_and_their_mean_is_one():
    weights = rarity_weights(np.array([900.0, 90.0, 10.0]))
    assert weights.mean() == pytest.approx(1.0) and weights[2] > weights[1] > weights[0]
    image = np.zeros((16, 16, 3), np.uint8)
    unsure = np.full((16, 16), 0.5)
    common = candidate("common", image, np.stack([np.full((16, 16), 0.9), np.full((16, 16), 0.05),
                                                  np.full((16, 16), 0.05)]), unsure, weights)
    rare = candidate("rare", image, np.stack([np.full((16, 16), 0.05), np.full((16, 16), 0.05),
                                              np.full((16, 16), 0.9)]), unsure, weights)
    assert rare.value > common.value and rare.mean_entropy == common.mean_entropy == 0.5


def test_near_duplicates_are_not_picked_together():
    features = {"a1": [0, 0], "a2": [0, 0.01], "a3": [0.01, 0], "b": [5, 5], "c": [-5, 5]}
    values = {"a1": 1.0, "a2": 0.99, "a3": 0.98, "b": 0.6, "c": 0.5}
    candidates = [Candidate(name, values[name], 0.5, 1.0, np.array(features[name], float)) for name in features]
    picked = [c.name for c in rank_unlabeled(candidates, 3)]
    assert picked == ["a1", "b", "c"]             # not a1, a2, a3: one scene, three times
    assert [c.rank for c in rank_unlabeled(candidates, 5)] == [1, 2, 3, 4, 5]
