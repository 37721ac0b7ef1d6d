"""Choose infer.postprocess on validation predictions (nnU-Net's find_best_configuration, in 2D).

Greedy, class by class: for each foreground class every candidate step is applied to that class
alone on all validation label maps, and the one that raises the score most (mIoU, or F1 for binary
tasks, pooled over the images) is kept if it raises it by more than `margin`; later classes are
tried on the maps so cleaned. remove_small is tried at several sizes; the first size chosen
becomes infer.min_size for all classes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..labels import IGNORE_INDEX
from .postprocess import postprocess_labels

CANDIDATES = ("largest_component", "remove_small", "fill_holes", "remove_small+fill_holes")
MIN_SIZES = (16, 64, 256)


def pooled_score(predictions: list[np.ndarray], truths: list[np.ndarray], num_classes: int,
                 ignore_index: int = IGNORE_INDEX) -> float:
    """F1 of class 1 (binary) or mIoU over the classes present, from the pooled confusion matrix."""
    confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
    for predicted, truth in zip(predictions, truths):
        valid = truth != ignore_index
        confusion += np.bincount(truth[valid].astype(np.int64) * num_classes + predicted[valid],
                                 minlength=num_classes ** 2).reshape(num_classes, num_classes)
    true_positive = np.diag(confusion).astype(np.float64)
    union = confusion.sum(0) + confusion.sum(1) - true_positive
    if num_classes == 2:
        total = confusion[1].sum() + confusion[:, 1].sum()
        return float(2 * true_positive[1] / total) if total else float("nan")
    present = union > 0
    return float((true_positive[present] / union[present]).mean())


@dataclass
class PostprocessChoice:
    """The chosen infer.postprocess (one entry per class) and infer.min_size, with the scores."""
    postprocess: list[str]
    min_size: int
    score_before: float
    score_after: float
    tried: list[dict] = field(default_factory=list)   # every candidate: class, steps, min_size, score


def choose_postprocessing(predictions: list[np.ndarray], truths: list[np.ndarray], class_names: list[str],
                          default_min_size: int = 64, margin: float = 1e-4,
                          ignore_index: int = IGNORE_INDEX) -> PostprocessChoice:
    """predictions and truths: class-id maps (H, W) of the validation images (no post-processing yet)."""
    num_classes = len(class_names)
    chosen, min_size = ["none"] * num_classes, None
    current = [p.astype(np.int64) for p in predictions]
    before = best = pooled_score(current, truths, num_classes, ignore_index)
    tried = []
    for value in range(1, num_classes):
        winner = None
        for steps in CANDIDATES:
            sizes = ([min_size] if min_size else list(MIN_SIZES)) if "remove_small" in steps else [default_min_size]
            for size in sizes:
                plan = ["none"] * num_classes
                plan[value] = steps
                cleaned = [postprocess_labels(p, plan, num_classes, size) for p in current]
                score = pooled_score(cleaned, truths, num_classes, ignore_index)
                tried.append({"class": class_names[value], "steps": steps, "min_size": size, "score": score})
                if score > best + margin:
                    best, winner = score, (steps, size, cleaned)
        if winner is not None:
            steps, size, current = winner
            chosen[value] = steps
            if "remove_small" in steps:
                min_size = size
    return PostprocessChoice(chosen if any(c != "none" for c in chosen) else [], min_size or default_min_size,
                             before, best, tried)
