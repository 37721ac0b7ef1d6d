"""The ISBI pixel error and the registry of extra metrics (metrics/extra.py)."""
import math

import numpy as np
import torch

from unetkit.labels import IGNORE_INDEX
from unetkit.metrics import EXTRA_METRICS
from unetkit.metrics.extra import PixelErrorScores


def test_pixel_error_counts_wrong_pixels_among_the_labelled_ones():
    scores = PixelErrorScores()
    labels = np.array([[0, 1, IGNORE_INDEX], [1, 1, 0]])
    predicted = np.array([[0, 0, 1], [1, 0, 0]])          # 2 wrong of 5 labelled; the ignored one is wrong too
    scores.update(predicted, labels)
    assert scores.wrong == 2 and scores.counted == 5
    scores.update(torch.tensor([[1]]), torch.tensor([[1]]))  # tensors as the evaluator passes them
    assert scores.compute() == {"pixel_error": 2 / 6}


def test_pixel_error_with_another_ignore_label_and_nothing_labelled():
    scores = PixelErrorScores(ignore_index=7)
    scores.update(np.array([[1, 0]]), np.array([[7, 7]]))
    assert scores.counted == 0 and math.isnan(scores.compute()["pixel_error"])
    scores.update(np.array([[1, IGNORE_INDEX]]), np.array([[0, IGNORE_INDEX]]))   # 255 counts when 7 is the void
    assert scores.compute()["pixel_error"] == 0.5


def test_pixel_error_merges_every_ranks_share():
    shares = [PixelErrorScores(), PixelErrorScores()]
    shares[0].update(np.array([0, 1]), np.array([0, 0]))
    shares[1].update(np.array([1, 1, 1]), np.array([1, 0, 0]))
    merged = PixelErrorScores()
    merged.merge_all(shares)
    assert (merged.wrong, merged.counted) == (3, 5)
    assert merged.compute()["pixel_error"] == 3 / 5


def test_extra_metrics_are_registered_as_lower_is_better_scorers():
    pixel, rand = EXTRA_METRICS["pixel_error"], EXTRA_METRICS["rand_error"]
    assert pixel.name == "pixel_error" and pixel.lower_is_better and rand.lower_is_better
    scorer = pixel.make_scorer(9)
    assert isinstance(scorer, PixelErrorScores) and scorer.ignore_index == 9
    rand_scorer = rand.make_scorer(9)
    assert rand_scorer.ignore_index == 9 and math.isnan(rand_scorer.compute()["rand_error"])
