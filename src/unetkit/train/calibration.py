"""train.calibrate: after training, one temperature T fitted on the validation split (Guo et al. 2017),
so that best.pt's probabilities mean what they say: softmax(log p / T) minimises the negative
log-likelihood of the validation labels (for two classes the same as sigmoid(logit / T)). T is stored
with the checkpoints' inference settings (infer.temperature; an override replaces it), and the
expected calibration error and NLL before and after go into metrics.json.

Fitted on up to MAX_PIXELS valid pixels drawn evenly from the validation images (inside the ROI, the
ignore label left out); one dimension, so a golden-section search over log T is enough (NLL is convex
in 1/T). Written here rather than with a library: it is forty lines, and the probabilities it needs
are the Predictor's own (tiles, TTA and all), not a network's raw logits.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import torch

from ..data import Sample
from ..infer.predictor import Predictor
from ..metrics.calibration import CalibrationBins

log = logging.getLogger(__name__)

MAX_PIXELS = 1_000_000
LOWEST, HIGHEST = 0.05, 20.0     # the temperatures searched


@dataclass
class PixelSample:
    log_probabilities: torch.Tensor    # (P, K) float32
    labels: torch.Tensor               # (P,) int64


def sample_pixels(predictor: Predictor, samples: list[Sample], ignore_index: int, max_pixels: int = MAX_PIXELS,
                  seed: int = 0) -> PixelSample:
    """The predictor's log-probabilities and the labels of valid pixels, at most max_pixels, evenly spread."""
    generator = np.random.default_rng(seed)
    valid_counts = [int((sample.label != ignore_index).sum()) for sample in samples]
    share = min(1.0, max_pixels / max(1, sum(valid_counts)))
    logs, labels = [], []
    for sample, count in zip(samples, valid_counts):
        if not count:
            continue
        probabilities = predictor.probabilities(sample.image)                     # (K, H, W)
        valid = np.flatnonzero(sample.label.reshape(-1) != ignore_index)
        chosen = valid if share >= 1 else np.sort(generator.choice(valid, max(1, round(count * share)), replace=False))
        index = torch.from_numpy(chosen)
        logs.append(torch.log(probabilities.reshape(probabilities.shape[0], -1)[:, index].T.clamp_min(1e-12)))
        labels.append(torch.from_numpy(sample.label.reshape(-1)[chosen].astype(np.int64)))
    return PixelSample(torch.cat(logs), torch.cat(labels))


def negative_log_likelihood(pixels: PixelSample, temperature: float) -> float:
    return float(torch.nn.functional.cross_entropy(pixels.log_probabilities / temperature, pixels.labels))


def calibration_error(pixels: PixelSample, temperature: float) -> float:
    probabilities = torch.softmax(pixels.log_probabilities / temperature, 1)
    bins = CalibrationBins(probabilities.shape[1])
    bins.update(probabilities.T[None, :, :, None], pixels.labels[None, :, None],
                torch.ones(1, len(pixels.labels), 1, dtype=torch.bool))
    return bins.compute([str(k) for k in range(probabilities.shape[1])])["ece"]


def fit_temperature(pixels: PixelSample, iterations: int = 40) -> float:
    """The T in [LOWEST, HIGHEST] of least NLL (golden-section search over log T)."""
    low, high = math.log(LOWEST), math.log(HIGHEST)
    ratio = (math.sqrt(5) - 1) / 2
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    fa, fb = negative_log_likelihood(pixels, math.exp(a)), negative_log_likelihood(pixels, math.exp(b))
    for _ in range(iterations):
        if fa < fb:
            high, b, fb = b, a, fa
            a = high - ratio * (high - low)
            fa = negative_log_likelihood(pixels, math.exp(a))
        else:
            low, a, fa = a, b, fb
            b = low + ratio * (high - low)
            fb = negative_log_likelihood(pixels, math.exp(b))
    return math.exp((low + high) / 2)


def calibrate(predictor: Predictor, samples: list[Sample], ignore_index: int) -> dict[str, float]:
    """Fit T on `samples` with `predictor` (its own temperature taken as 1); the figures before and after."""
    pixels = sample_pixels(predictor, samples, ignore_index)
    temperature = fit_temperature(pixels)
    result = {"temperature": temperature, "pixels": len(pixels.labels),
              "nll_before": negative_log_likelihood(pixels, 1.0), "nll_after": negative_log_likelihood(pixels, temperature),
              "ece_before": calibration_error(pixels, 1.0), "ece_after": calibration_error(pixels, temperature)}
    log.info("calibration on %d validation pixels: temperature %.3f, ECE %.4f -> %.4f, NLL %.4f -> %.4f",
             result["pixels"], temperature, result["ece_before"], result["ece_after"], result["nll_before"],
             result["nll_after"])
    return result
