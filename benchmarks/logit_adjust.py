"""Issue 27: post-hoc logit adjustment for rare classes, measured on one trained checkpoint.

A network trained on imbalanced pixels under-predicts the small classes; subtracting tau * log(prior)
from the log-probabilities (Menon et al. 2021, "Long-tail learning via logit adjustment") moves the
decision boundary toward them without retraining. This script scores, in one pass over each split,
the checkpoint's labels for several tau (prior = the training masks' pixel frequencies), and with
the bias train.tune_class_bias fits on the validation split (train/class_bias.py: coordinate ascent
on mIoU, no class down by more than a point), so the choice made on val can be read against test.

Usage: python benchmarks/logit_adjust.py runs/R/best.pt [--taus 0,0.25,0.5] [--fit-split val]
       [--test-split test] [--json runs/R/logit_adjust.json]
"""
from __future__ import annotations

import argparse
import dataclasses
import json

import numpy as np
import torch

from unetkit.apps.evaluate import prepare_evaluation
from unetkit.data import find_samples, load_samples
from unetkit.progress import progress
from unetkit.train.class_bias import tune_class_bias


def confusion(predicted: torch.Tensor, label: np.ndarray, k: int, ignore: int) -> np.ndarray:
    label = torch.from_numpy(label.astype(np.int64)).flatten()
    keep = label != ignore
    index = label[keep] * k + predicted.flatten()[keep].long()
    return torch.bincount(index, minlength=k * k).reshape(k, k).numpy()


def ious(matrix: np.ndarray) -> np.ndarray:
    tp = np.diag(matrix).astype(float)
    union = matrix.sum(0) + matrix.sum(1) - tp
    return np.where(union > 0, tp / np.maximum(union, 1), np.nan)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint")
    parser.add_argument("--taus", default="0,0.25,0.5")
    parser.add_argument("--fit-split", default="val")
    parser.add_argument("--test-split", default="test")
    parser.add_argument("--json")
    args = parser.parse_args()
    taus = [float(t) for t in args.taus.split(",")]
    evaluation = prepare_evaluation(args.checkpoint, args.test_split)
    predictor, meta, config = evaluation.predictor, evaluation.meta, evaluation.config
    k, ignore = predictor.num_classes, meta.ignore_index
    train = load_samples(find_samples(config.data, "train", need_masks=True), config.data, ignore)
    counts = sum(np.bincount(s.label[s.label != ignore].ravel(), minlength=k) for s in train)
    log_prior = np.log(np.maximum(counts / counts.sum(), 1e-6))
    print("prior", dict(zip(meta.class_names, np.round(counts / counts.sum(), 4).tolist())), flush=True)

    val = load_samples(find_samples(config.data, args.fit_split, need_masks=True), config.data, ignore)
    predictor.settings = dataclasses.replace(predictor.settings, class_bias=[])
    fit = tune_class_bias(predictor, val, ignore)
    candidates = {f"tau={t:g}": -t * log_prior for t in taus}
    candidates["tuned"] = np.array(fit.bias or [0.0] * k)
    print("tuned on", args.fit_split, json.dumps(dataclasses.asdict(fit)), flush=True)

    matrices = {name: np.zeros((k, k), dtype=np.int64) for name in candidates}
    biases = {name: torch.from_numpy(b).float()[:, None, None] for name, b in candidates.items()}
    for sample in progress(evaluation.samples, "test", "img"):
        logp = torch.log(predictor.probabilities(sample.image).clamp_min(1e-12))
        for name in candidates:
            matrices[name] += confusion((logp + biases[name]).argmax(0), sample.label, k, ignore)
    result = {}
    for name, matrix in matrices.items():
        per_class = ious(matrix)
        result[name] = {"miou": float(np.nanmean(per_class)),
                        "pixel_accuracy": float(np.trace(matrix) / matrix.sum()),
                        "iou_per_class": dict(zip(meta.class_names, per_class.round(4).tolist())),
                        "bias": candidates[name].round(3).tolist()}
        print(name, round(result[name]["miou"], 4), result[name]["iou_per_class"], flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
