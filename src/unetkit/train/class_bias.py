"""train.tune_class_bias: after training, one additive bias per class on the log-probabilities, fitted on
the validation split, so that the argmax gives the classes a network trained on imbalanced pixels
under-predicts (small, hard classes: doors, pavement) their share of the decision.

A post-hoc logit adjustment (Menon et al. 2021, "Long-tail learning via logit adjustment", with the
offsets fitted rather than taken from the class priors): coordinate ascent on the validation mIoU,
class by class over a grid of offsets, under one constraint -- no class present in the validation
masks may lose more than MAX_DROP of its IoU, so the small classes are not bought with the large ones
(issue 27: at most one point). Class 0's bias stays 0 (only differences matter). The bias is stored with
the checkpoints' inference settings (infer.class_bias; an override replaces it); probability maps are
unchanged, only label maps move. Written here: a few dozen lines over the Predictor's own
probabilities (tiles, scales and temperature included), which no library offers for segmentation.

Measured on LabelMeFacade in docs/benchmarks.md (issue 27), beside offsets taken from the priors.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch

from ..data import Sample
from ..infer.predictor import Predictor
from .calibration import PixelSample, sample_pixels

log = logging.getLogger(__name__)

MAX_PIXELS = 300_000              # validation pixels the fit sees, evenly drawn (calibration.sample_pixels)
OFFSETS = np.arange(-4.0, 4.01, 0.25)   # the grid each class's bias is searched over (log-probability units)
ROUNDS = 2                        # passes over the classes
MAX_DROP = 0.01                   # no class present in validation loses more IoU than this


@dataclass
class BiasFit:
    bias: list[float]             # one per class; [] when no bias raised the validation mIoU
    miou_before: float
    miou_after: float
    iou_before: list[float | None]   # per class, None where the class is neither in the masks nor predicted
    iou_after: list[float | None]
    pixels: int


def ious(pixels: PixelSample, bias: torch.Tensor) -> np.ndarray:
    """Per-class IoU of argmax(log p + bias) against the labels (NaN where the union is empty)."""
    return _ious((pixels.log_probabilities + bias).argmax(1), pixels.labels, pixels.log_probabilities.shape[1])


def _ious(predicted: torch.Tensor, labels: torch.Tensor, k: int) -> np.ndarray:
    confusion = torch.bincount(labels * k + predicted, minlength=k * k).reshape(k, k).double().numpy()
    hits = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - hits
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, hits / union, np.nan)


def fit_class_bias(pixels: PixelSample, max_drop: float = MAX_DROP, offsets: np.ndarray = OFFSETS,
                   rounds: int = ROUNDS) -> BiasFit:
    """The per-class bias of highest validation mIoU with no present class down by more than max_drop.

    Only classes present in the validation labels are searched and averaged: a class absent there
    would otherwise be pushed down until never predicted (its IoU leaving the mean as undefined).
    For each class the other classes' best score and winner are computed once, so each offset costs
    one comparison rather than an argmax over every class."""
    log_p, labels = pixels.log_probabilities, pixels.labels
    k = log_p.shape[1]
    present = np.bincount(labels.numpy(), minlength=k) > 0

    def mean_iou(per_class: np.ndarray) -> float:
        return float(np.nanmean(np.where(present, np.nan_to_num(per_class), np.nan)))

    bias = torch.zeros(k)
    before = ious(pixels, bias)
    floor = np.nan_to_num(before) - max_drop
    best = mean_iou(before)
    for _ in range(rounds):
        for c in (c for c in range(1, k) if present[c]):
            others = log_p + bias
            others[:, c] = -torch.inf
            other_best, other_winner = others.max(1)
            for offset in offsets:
                predicted = torch.where(log_p[:, c] + float(offset) > other_best, c, other_winner)
                scores = _ious(predicted, labels, k)
                score = mean_iou(scores)
                if score > best + 1e-6 and np.all(np.nan_to_num(scores)[present] >= floor[present]):
                    best = score
                    bias = bias.clone()
                    bias[c] = float(offset)
    after = ious(pixels, bias)
    changed = bool(bias.abs().max() > 0)
    return BiasFit([round(float(b), 3) for b in bias] if changed else [], mean_iou(before), mean_iou(after),
                   _listed(before), _listed(after), len(pixels.labels))


def _listed(values: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else round(float(v), 4) for v in values]


def tune_class_bias(predictor: Predictor, samples: list[Sample], ignore_index: int,
                    max_pixels: int = MAX_PIXELS) -> BiasFit:
    """Fit infer.class_bias for `predictor` (its own bias not applied) on `samples`; log the outcome."""
    pixels = sample_pixels(predictor, samples, ignore_index, max_pixels)
    fit = fit_class_bias(pixels)
    names = predictor.class_names
    if fit.bias:
        moved = [f"{names[c]} {b:+.2f} (IoU {fit.iou_before[c] or 0:.3f} -> {fit.iou_after[c] or 0:.3f})"
                 for c, b in enumerate(fit.bias) if b]
        log.info("class bias on %d validation pixels: mIoU %.4f -> %.4f; %s", fit.pixels, fit.miou_before,
                 fit.miou_after, ", ".join(moved))
    else:
        log.info("class bias: none raised the validation mIoU (%.4f) without a class losing more than %g of its IoU",
                 fit.miou_before, MAX_DROP)
    return fit
