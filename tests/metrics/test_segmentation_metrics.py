import math
import warnings

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

from unetkit.metrics import AUC_BINS, SegmentationMetrics, format_table


def _binary_case(seed=0, n=(3, 20, 24)):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    scores = np.clip(labels * 0.3 + rng.random(n) * 0.7, 0, 1)
    scores = np.round(scores * (AUC_BINS - 1)) / (AUC_BINS - 1)  # on the histogram grid
    labels_with_ignore = labels.copy()
    labels_with_ignore[:, :2] = 255  # e.g. outside the ROI
    return scores, labels, labels_with_ignore


def test_binary_metrics_match_sklearn():
    scores, labels, with_ignore = _binary_case()
    metric = SegmentationMetrics(2)
    for s, truth in zip(scores, with_ignore):  # accumulated image by image
        metric.update(torch.from_numpy(np.stack([1 - s, s])).float(), torch.from_numpy(truth))
    result = metric.compute()
    keep = with_ignore != 255
    y, p = labels[keep], scores[keep]
    predicted = (p > 0.5).astype(int)
    assert result["auc"] == pytest.approx(skm.roc_auc_score(y, p), abs=1e-6)
    assert result["f1"] == pytest.approx(skm.f1_score(y, predicted))
    assert result["dice"] == result["f1"]
    assert result["precision"] == pytest.approx(skm.precision_score(y, predicted))
    assert result["recall"] == result["sensitivity"] == pytest.approx(skm.recall_score(y, predicted))
    assert result["specificity"] == pytest.approx(skm.recall_score(1 - y, 1 - predicted))
    assert result["pixel_accuracy"] == pytest.approx(skm.accuracy_score(y, predicted))
    assert result["mean_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, predicted))
    iou = skm.jaccard_score(y, predicted, average=None)
    assert list(result["iou_per_class"].values()) == pytest.approx(list(iou))
    assert result["miou"] == pytest.approx(iou.mean())
    assert list(result["recall_per_class"].values()) == pytest.approx(list(skm.recall_score(y, predicted, average=None)))
    assert list(result["precision_per_class"].values()) == pytest.approx(
        list(skm.precision_score(y, predicted, average=None)))
    assert set(result) == {"pixel_accuracy", "mean_accuracy", "mean_precision", "iou_per_class", "recall_per_class",
                           "precision_per_class", "f1_per_class", "miou", "precision", "recall", "f1", "dice", "auc",
                           "sensitivity", "specificity", "ece"}


def test_multiclass_metrics_match_sklearn():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, (2, 16, 16))
    probabilities = rng.random((2, 4, 16, 16))
    probabilities[:, 2] += (labels == 2) * 0.8
    labels[0, 0] = 255
    metric = SegmentationMetrics(4, ["a", "b", "c", "d"])
    metric.update(torch.from_numpy(probabilities).float(), torch.from_numpy(labels))
    result = metric.compute()
    keep = labels != 255
    y, predicted = labels[keep], probabilities.argmax(1)[keep]
    assert result["miou"] == pytest.approx(skm.jaccard_score(y, predicted, average="macro"))
    assert result["f1"] == pytest.approx(skm.f1_score(y, predicted, average="macro"))
    assert result["precision"] == pytest.approx(skm.precision_score(y, predicted, average="macro"))
    assert result["recall"] == pytest.approx(skm.recall_score(y, predicted, average="macro"))
    assert result["pixel_accuracy"] == pytest.approx(skm.accuracy_score(y, predicted))
    assert list(result["iou_per_class"]) == ["a", "b", "c", "d"]
    assert result["dice"] == result["f1"]
    assert "auc" not in result


def test_undefined_metrics_are_nan_and_table_prints():
    metric = SegmentationMetrics(2)
    metric.update(torch.tensor([[[1.0]], [[0.0]]]), torch.tensor([[0]]))
    result = metric.compute()
    assert math.isnan(result["auc"]) and math.isnan(result["recall"])
    assert "pixel_accuracy" in format_table(result)


def test_per_class_table_and_confusion_matrix():
    from unetkit.metrics import format_per_class_table
    metrics = SegmentationMetrics(3, ["bg", "cat", "dog"])
    labels = torch.tensor([[0, 0, 1, 1], [2, 2, 2, 255]])
    predicted = torch.tensor([[0, 1, 1, 1], [2, 2, 0, 0]])
    metrics.update(torch.nn.functional.one_hot(predicted, 3).permute(2, 0, 1).float(), labels)
    assert metrics.confusion_matrix().tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 2]]
    result = metrics.compute()
    assert result["recall_per_class"] == pytest.approx({"bg": 0.5, "cat": 1.0, "dog": 2 / 3})
    assert result["precision_per_class"] == pytest.approx({"bg": 0.5, "cat": 2 / 3, "dog": 1.0})
    assert result["f1_per_class"]["dog"] == pytest.approx(0.8)
    assert result["mean_precision"] == pytest.approx((0.5 + 2 / 3 + 1.0) / 3)
    table = format_per_class_table(result)
    assert "cat" in table and "mPA 0.7222" in table and "mPrecision 0.7222" in table


def test_the_terminal_tables_line_by_line():
    """The exact text of both tables (a golden case: `make mutants` showed that only their words were checked)."""
    from unetkit.metrics import format_per_class_table
    metrics = {"miou": 0.5, "pixel_accuracy": 0.75, "mean_accuracy": 0.625, "mean_precision": 0.25,
               "iou_per_class": {"background": 0.75, "a_rather_long_class_name": 0.25},
               "recall_per_class": {"background": 1.0, "a_rather_long_class_name": 0.5},
               "precision_per_class": {"background": 0.5, "a_rather_long_class_name": 0.0},
               "f1_per_class": {"background": 2 / 3, "a_rather_long_class_name": 0.0}}
    assert format_table(metrics).split("\n") == [
        "metric               value", "-" * 26, "miou                0.5000", "pixel_accuracy      0.7500",
        "mean_accuracy       0.6250", "mean_precision      0.2500", "", "class                  IoU", "-" * 26,
        "background          0.7500", "a_rather_long_class_name    0.2500"]
    width = len("a_rather_long_class_name") + 2
    assert format_per_class_table(metrics).split("\n") == [
        "class".ljust(width) + "        IoU     recall  precision         F1", "-" * (width + 44),
        "background".ljust(width) + "     0.7500     1.0000     0.5000     0.6667",
        "a_rather_long_class_name".ljust(width) + "     0.2500     0.5000     0.0000     0.0000", "",
        "mIoU 0.5000   mPA 0.6250   mRecall 0.6250   mPrecision 0.2500   pixel accuracy 0.7500"]
    short = {key: ({"bg": value["background"]} if isinstance(value, dict) else value) for key, value in metrics.items()}
    assert format_per_class_table(short).split("\n")[2] == "bg".ljust(16) + "     0.7500     1.0000     0.5000     0.6667"


def test_binary_metrics_at_another_threshold_void_label_and_given_label_maps_match_sklearn():
    """The options the defaults hide (found by `make mutants`, issue 31): threshold, ignore_index, label
    maps given by post-processing, the precision-recall curve and default class names."""
    scores, labels, _ = _binary_case(seed=3)
    with_void = labels.copy()
    with_void[:, -3:] = 9
    metric = SegmentationMetrics(2, threshold=0.3, ignore_index=9)
    for s, truth in zip(scores, with_void):
        metric.update(torch.from_numpy(np.stack([1 - s, s])).float(), torch.from_numpy(truth))
    result = metric.compute()
    keep = with_void != 9
    y, p = labels[keep], scores[keep]
    predicted = (p > 0.3).astype(int)
    assert result["f1"] == pytest.approx(skm.f1_score(y, predicted))
    assert list(result["f1_per_class"].values()) == pytest.approx(list(skm.f1_score(y, predicted, average=None)))
    assert list(result["iou_per_class"]) == ["0", "1"]
    assert result["specificity"] == pytest.approx(skm.recall_score(1 - y, 1 - predicted))
    curves = metric.curves()
    assert curves["average_precision"] == pytest.approx(skm.average_precision_score(y, p), abs=1e-6)
    fpr, tpr, _ = skm.roc_curve(y, p, drop_intermediate=False)
    assert np.interp(0.5, curves["fpr"], curves["tpr"]) == pytest.approx(np.interp(0.5, fpr, tpr), abs=1e-6)
    assert curves["recall"][0] == 0.0 and curves["precision"][0] == 1.0 and curves["recall"][-1] == 1.0
    given = SegmentationMetrics(2)                       # label maps from post-processing win over the scores
    label_map = torch.from_numpy(1 - labels[0])
    given.update(torch.from_numpy(np.stack([1 - scores[0], scores[0]])).float(), torch.from_numpy(labels[0]),
                 predicted=label_map)
    assert given.compute()["pixel_accuracy"] == 0.0
    assert SegmentationMetrics(3).curves() == {}


def test_the_table_skips_a_section_in_the_middle_of_the_scalars():
    metrics = {"miou": 0.5, "iou_per_class": {"a": 0.5}, "pixel_accuracy": 0.75}
    assert format_table(metrics).split("\n")[2:4] == ["miou                0.5000", "pixel_accuracy      0.7500"]


def _binary_metric(positive_scores, negative_scores):
    metric = SegmentationMetrics(2)
    scores = torch.tensor(list(positive_scores) + list(negative_scores))[None]
    labels = torch.tensor([1] * len(positive_scores) + [0] * len(negative_scores))[None]
    metric.update(torch.stack([1 - scores, scores]), labels)
    return metric


def test_the_curves_by_hand_at_their_ends_and_when_undefined():
    """Found by `make mutants` (issue 31): the curves start at (0, 0) and precision 1, end at recall 1; a
    threshold where only a negative is predicted has precision 0; pixels in the lowest bin count; one pixel
    of a class is enough; a class that is absent leaves the curves (and AUC) undefined."""
    positives, negatives = [0.6, 0.0], [0.9, 0.3, 0.0]
    curves = _binary_metric(positives, negatives).curves()
    assert curves["tpr"][0] == curves["fpr"][0] == curves["recall"][0] == 0.0 and curves["precision"][0] == 1.0
    assert curves["tpr"][-1] == curves["fpr"][-1] == curves["recall"][-1] == 1.0
    scores, truth = positives + negatives, [1] * len(positives) + [0] * len(negatives)
    assert curves["average_precision"] == pytest.approx(skm.average_precision_score(truth, scores))
    precision = curves["precision"][1:]
    first = int(np.argmax(curves["fpr"][1:] > 0))              # the threshold that first takes in the 0.9 negative
    assert (precision[:first] == 1.0).all() and precision[first] == 0.0
    assert _binary_metric(positives, negatives).auc() == pytest.approx(skm.roc_auc_score(truth, scores))
    lowest = _binary_metric([0.0], [0.0])                      # one pixel each, both in the lowest bin
    assert lowest.curves() and lowest.auc() == pytest.approx(0.5)
    assert _binary_metric([], [0.2, 0.7]).curves() == {} and _binary_metric([0.2, 0.7], []).curves() == {}
    assert math.isnan(_binary_metric([], [0.2]).auc())


def test_one_pixel_no_pixels_many_classes_and_exact_counts():
    """Found by `make mutants` (issue 31): a single pixel defines the scores; no labelled pixel leaves every
    mean NaN without a warning; labels given as uint8 with 21 classes do not overflow; counts are int64."""
    one = SegmentationMetrics(3, ["a", "b", "c"])
    one.update(torch.tensor([[[0.9]], [[0.05]], [[0.05]]]), torch.tensor([[0]]))
    result = one.compute()
    assert result["pixel_accuracy"] == 1.0 and result["iou_per_class"]["a"] == 1.0 and result["ece"] > 0
    none = SegmentationMetrics(3)
    none.update(torch.full((3, 2, 2), 1 / 3), torch.full((2, 2), 255))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = none.compute()
    assert all(math.isnan(result[key]) for key in ("pixel_accuracy", "mean_accuracy", "miou", "f1", "dice", "ece"))
    voc = SegmentationMetrics(21)
    labels = torch.tensor([[20, 19]], dtype=torch.uint8)
    voc.update(torch.nn.functional.one_hot(torch.tensor([[20, 3]]), 21).permute(2, 0, 1).float(), labels)
    confusion = voc.confusion_matrix()
    assert confusion.dtype == np.int64 and confusion[20, 20] == 1 and confusion[19, 3] == 1 and confusion.sum() == 2
    assert _binary_metric([0.5], [0.5]).positive_histogram.dtype == torch.int64
    assert _binary_metric([0.5], [0.5]).negative_histogram.dtype == torch.int64


def test_scores_round_to_the_nearest_auc_bin_and_the_threshold_is_strict():
    """Found by `make mutants` (issue 31): a score goes to the nearest of the 65,536 bins (half a bin
    either side), the ends included; a pixel exactly at the threshold is background (strictly above)."""
    step = 1 / (AUC_BINS - 1)
    scores = torch.tensor([0.0, 0.3 * step, 0.6 * step, 0.25, 0.5, 1.0 - 0.6 * step, 1.0])
    metrics = SegmentationMetrics(2)
    metrics.update(torch.stack([1 - scores, scores])[:, None], torch.ones(1, scores.numel(), dtype=torch.int64))
    bins = metrics.positive_histogram.nonzero().flatten().tolist()
    counts = metrics.positive_histogram[bins].tolist()
    assert bins == [0, 1, 16384, 32768, 65534, 65535] and counts == [2, 1, 1, 1, 1, 1]
    assert metrics.confusion.tolist() == [[0, 0], [5, 2]]   # 0.5 itself is not above the threshold
