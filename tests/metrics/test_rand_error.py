import math
import warnings

import numpy as np
import pytest
from skimage.metrics import adapted_rand_error as skimage_rand_error

from unetkit.metrics.rand_error import (
    RandErrorScores,
    adapted_rand_error,
    segment_foreground,
)


def _random_segments(seed, shape=(30, 40), count=6):
    rng = np.random.default_rng(seed)
    return rng.integers(0, count, shape)


@pytest.mark.parametrize("seed", range(5))
def test_matches_scikit_image(seed):
    true, predicted = _random_segments(seed), _random_segments(seed + 100, count=4)
    true[:5] = 0  # unlabelled pixels are not counted
    expected_error, precision_a, precision_b = skimage_rand_error(true, predicted)
    error, precision, recall = adapted_rand_error(true, predicted)
    assert error == pytest.approx(expected_error, abs=1e-12)
    # scikit-image's code names the two ratios the other way round from its docstring; same pair
    assert sorted([precision, recall]) == pytest.approx(sorted([precision_a, precision_b]), abs=1e-12)


def test_matches_scikit_image_on_segmentations():
    labels = np.zeros((40, 40), np.uint8)
    labels[2:18, 2:18] = labels[2:18, 22:38] = labels[22:38, 2:38] = 1
    predicted = labels.copy()
    predicted[22:38, 19:21] = 0   # one true cell split in two
    predicted[2:18, 18:22] = 1    # two true cells merged
    true_segments, predicted_segments = segment_foreground(labels == 1), segment_foreground(predicted == 1)
    error = adapted_rand_error(true_segments, predicted_segments)[0]
    assert error == pytest.approx(skimage_rand_error(true_segments, predicted_segments)[0])
    assert 0.1 < error < 0.9
    assert adapted_rand_error(true_segments, true_segments)[0] == pytest.approx(0.0)
    scores = RandErrorScores()
    scores.update(predicted, labels)
    assert scores.compute()["rand_error"] == pytest.approx(error)


def test_rand_error_edge_cases():
    """Found by `make mutants` (issue 31): nothing to score, two partitions that share no pair, void pixels."""
    nothing = adapted_rand_error(np.zeros((3, 3), int), np.ones((3, 3), int))
    assert all(np.isnan(value) for value in nothing)
    true = np.array([[1, 1], [2, 2]])
    crossed = np.array([[1, 2], [1, 2]])                 # every true pair split, every predicted pair wrong
    assert adapted_rand_error(true, crossed) == (1.0, 0.0, 0.0)
    labels = np.ones((5, 5), np.uint8)
    labels[:, 2] = 7                                     # two cells either side of a void column
    predicted = np.ones((5, 5), np.uint8)                # one blob through the void column
    scores = RandErrorScores(ignore_index=7)
    scores.update(predicted, labels)
    assert scores.compute()["rand_error"] == pytest.approx(0.0)
    assert np.isnan(RandErrorScores().compute()["rand_error"])


def test_segment_ids_beyond_float_precision_stay_apart():
    """Found by `make mutants` (issue 31): ids from a hash or an instance counter can exceed 2**53, where
    float64 merges neighbours; the error is that of the same segmentation with small ids."""
    small_true = np.array([[1, 1, 2, 2], [1, 1, 2, 2]])
    small_predicted = np.array([[1, 1, 1, 2], [1, 1, 1, 2]])
    big = np.int64(2**53)
    expected = adapted_rand_error(small_true, small_predicted)
    assert adapted_rand_error(small_true - 1 + big, small_predicted) == pytest.approx(expected)   # 2**53, 2**53 + 1
    assert adapted_rand_error(small_true, small_predicted - 1 + big) == pytest.approx(expected)
    assert expected[0] > 0.1


def test_an_empty_score_is_nan_without_a_warning():
    scores = RandErrorScores()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(scores.compute()["rand_error"])


def test_merging_ranks_keeps_every_images_error():
    shares = [RandErrorScores(), RandErrorScores()]
    shares[0].errors, shares[1].errors = [0.1, 0.3], [0.5]
    merged = RandErrorScores()
    merged.merge_all(shares)
    assert merged.errors == [0.1, 0.3, 0.5] and merged.compute()["rand_error"] == pytest.approx(0.3)
