"""Score a Predictor on labelled samples: whole images, inside each ROI, the ignore label left out."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from .data import Sample
from .errors import DataError
from .infer.predictor import Predictor
from .labels import IGNORE_INDEX
from .metrics import EXTRA_METRICS, PerImageScores, SegmentationMetrics
from .progress import progress as progress_of
from .viz.panels import side_by_side


def evaluate_samples(predictor: Predictor, samples: list[Sample], extra_metrics: tuple[str, ...] = (),
                     ignore_index: int = IGNORE_INDEX, progress: bool = False,
                     combine: Callable[[SegmentationMetrics, list], None] | None = None) -> dict:
    """Metrics over `samples` (each must have a label), plus the named `extra_metrics` (a data
    format's own, e.g. ISBI's pixel_error and rand_error). `combine`, when given, is called with the
    accumulators before the metrics are computed (training ranks sum theirs: train/distributed.py)."""
    return score_samples(predictor, samples, extra_metrics, ignore_index, progress, combine=combine)[0]


def score_samples(predictor: Predictor, samples: list[Sample], extra_metrics: tuple[str, ...] = (),
                  ignore_index: int = IGNORE_INDEX, progress: bool = False,
                  per_image: PerImageScores | None = None,
                  metrics: SegmentationMetrics | None = None,
                  combine: Callable[[SegmentationMetrics, list], None] | None = None) -> tuple[dict, np.ndarray]:
    """evaluate_samples' metrics and the confusion matrix behind them (pixel counts (K, K), rows = true).
    Label maps are the Predictor's (threshold or argmax, then infer.postprocess); `per_image`, when
    given, is fed every image (and its surface metrics join the result); `metrics`, when given, is
    the accumulator used (its ROC / precision-recall curves can be read after)."""
    if metrics is None:
        metrics = SegmentationMetrics(predictor.num_classes, predictor.class_names, predictor.threshold,
                                      ignore_index)
    scorers = [EXTRA_METRICS[name].make_scorer(ignore_index) for name in extra_metrics]
    for sample in progress_of(samples, "evaluate", "img", enabled=progress):
        if sample.label is None:
            raise DataError(f"{sample.files.image}: no label mask to score against")
        probabilities = predictor.probabilities(sample.image)
        predicted = predictor.labels_from(probabilities)
        metrics.update(probabilities, torch.from_numpy(sample.label.astype(np.int64)), predicted)
        for scorer in scorers:
            scorer.update(predicted, sample.label)
        if per_image is not None:
            per_image.update(sample.name, predicted.numpy(), sample.label)
    if combine is not None:
        combine(metrics, scorers)
    result = metrics.compute()
    for scorer in scorers:
        result.update(scorer.compute())
    if per_image is not None:
        result.update(per_image.summary())
    return result, metrics.confusion_matrix()


def sample_panel(predictor: Predictor, sample: Sample) -> np.ndarray:
    """input | prediction | label for one sample (ignored pixels of the label drawn grey)."""
    prediction = predictor.predict(sample.image)
    return side_by_side(sample.image, prediction.labels, sample.label, predictor.num_classes)


__all__ = ["evaluate_samples", "sample_panel", "score_samples"]
