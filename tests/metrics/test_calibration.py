"""Expected calibration error (issue 30) against hand-computed cases, and its behaviour on made-up
calibrated and over-confident scores."""
import math

import pytest
import torch

from unetkit.metrics import SegmentationMetrics


def test_binary_top_label_ece_by_hand():
    """Foreground 0.9, 0.9, 0.2, 0.6 for labels 1, 0, 0, 1 (and one ignored pixel): confidences 0.9, 0.9,
    0.8, 0.6 in bins 13, 13, 12, 9, right 1, 0, 1, 1 -> (|1.8 - 1| + |0.8 - 1| + |0.6 - 1|) / 4 = 0.35."""
    foreground = torch.tensor([[0.9, 0.9, 0.2, 0.6, 0.99]])
    probabilities = torch.stack([1 - foreground, foreground])    # (2, 1, 5)
    labels = torch.tensor([[1, 0, 0, 1, 255]])
    metrics = SegmentationMetrics(2)
    metrics.update(probabilities, labels)
    assert metrics.compute()["ece"] == pytest.approx(0.35, abs=1e-6)
    diagram = metrics.calibration.reliability()
    assert diagram["share"][13] == pytest.approx(0.5) and diagram["accuracy"][13] == pytest.approx(0.5)
    assert math.isnan(diagram["accuracy"][0]) and sum(diagram["share"]) == pytest.approx(1.0)


def test_multiclass_top_label_and_classwise_ece_by_hand():
    probabilities = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]]).T[:, None]   # (3, 1, 2)
    labels = torch.tensor([[0, 2]])
    metrics = SegmentationMetrics(3, ["a", "b", "c"])
    metrics.update(probabilities, labels)
    result = metrics.compute()
    assert result["ece"] == pytest.approx((0.3 + 0.6) / 2, abs=1e-6)        # conf 0.7 right, 0.6 wrong
    assert result["ece_per_class"] == pytest.approx({"a": 0.2, "b": 0.4, "c": 0.4}, abs=1e-6)


def test_calibrated_scores_have_a_small_ece_and_overconfident_ones_a_large_one():
    generator = torch.Generator().manual_seed(0)
    truth_probability = torch.rand(1, 200, 1000, generator=generator)
    labels = (torch.rand(1, 200, 1000, generator=generator) < truth_probability).long()
    calibrated, overconfident = SegmentationMetrics(2), SegmentationMetrics(2)
    calibrated.update(torch.cat([1 - truth_probability, truth_probability]), labels[0])
    sharpened = torch.sigmoid(4 * torch.logit(truth_probability, eps=1e-6))   # logits x 4: too sure
    overconfident.update(torch.cat([1 - sharpened, sharpened]), labels[0])
    assert calibrated.compute()["ece"] < 0.01 < 0.1 < overconfident.compute()["ece"]


def test_the_reliability_diagram_by_hand_and_when_empty():
    foreground = torch.tensor([[0.9, 0.9, 0.2, 0.6]])
    metrics = SegmentationMetrics(2)
    metrics.update(torch.stack([1 - foreground, foreground]), torch.tensor([[1, 0, 0, 1]]))
    diagram = metrics.calibration.reliability()
    assert diagram["confidence"][13] == pytest.approx(0.9) and diagram["confidence"][12] == pytest.approx(0.8)
    assert diagram["confidence"][9] == pytest.approx(0.6) and diagram["accuracy"][12] == pytest.approx(1.0)
    assert diagram["share"][9] == pytest.approx(0.25) and diagram["centre"][9] == pytest.approx(9.5 / 15)
    empty = [b for b in range(15) if b not in (9, 12, 13)]
    assert all(math.isnan(diagram["confidence"][b]) and diagram["share"][b] == 0.0 for b in empty)
    nothing = SegmentationMetrics(2).calibration.reliability()
    assert nothing["share"] == [0.0] * 15 and all(math.isnan(v) for v in nothing["accuracy"] + nothing["confidence"])


def test_bins_accumulate_over_updates_in_float64_from_one_pixel_on():
    """Found by `make mutants` (issue 31): two updates count as one update of both; the sums are float64 (a
    float32 sum stops counting pixels at 2**24); one labelled pixel is enough, none leaves the ECE NaN."""
    from unetkit.metrics.calibration import CalibrationBins
    torch.manual_seed(5)
    probabilities = torch.softmax(torch.randn(2, 3, 4, 5) * 3, 1)
    labels = torch.randint(0, 3, (2, 4, 5))
    valid = torch.ones(2, 4, 5, dtype=torch.bool)
    together, apart = CalibrationBins(3), CalibrationBins(3)
    together.update(probabilities, labels, valid)
    apart.update(probabilities[:1], labels[:1], valid[:1])
    apart.update(probabilities[1:], labels[1:], valid[1:])
    assert all(torch.allclose(a, b) for a, b in zip(together.tensors(), apart.tensors(), strict=True))
    a, b = apart.compute(["a", "b", "c"]), together.compute(["a", "b", "c"])
    assert a["ece"] == pytest.approx(b["ece"]) and a["ece_per_class"] == pytest.approx(b["ece_per_class"])
    assert all(tensor.dtype == torch.float64 for tensor in together.tensors())
    empty = CalibrationBins(2)
    assert math.isnan(empty.compute(["bg", "fg"])["ece"])
    one = CalibrationBins(2)
    one.update(torch.tensor([0.3, 0.7]).view(1, 2, 1, 1), torch.tensor([[[1]]]), torch.ones(1, 1, 1, dtype=torch.bool))
    assert one.counts.sum() == 1 and one.compute(["bg", "fg"])["ece"] == pytest.approx(0.3)
