"""Lovasz losses (Berman et al. 2018): a convex surrogate of the Jaccard loss (1 - IoU) that is
optimised directly, per class, so that a small class's IoU counts as much as a large one's.

Written here from the paper's algorithm 1 (the reference code is a script, not a package): errors
sorted in decreasing order, dotted with the gradient of the Lovasz extension of the Jaccard loss.
Computed over the whole batch (the paper's per-batch variant).
"""
from __future__ import annotations

import torch

from ..labels import IGNORE_INDEX
from .common import class_probabilities, connected_zero


def lovasz_gradient(sorted_truth: torch.Tensor) -> torch.Tensor:
    """Gradient of the Lovasz extension of the Jaccard loss at ground truth (P,) sorted by
    decreasing error."""
    positives = sorted_truth.sum()
    intersection = positives - sorted_truth.cumsum(0)
    union = positives + (1 - sorted_truth).cumsum(0)
    jaccard = 1 - intersection / union
    if sorted_truth.numel() > 1:
        jaccard[1:] = jaccard[1:] - jaccard[:-1].clone()
    return jaccard


def _lovasz_softmax(probabilities: torch.Tensor, labels: torch.Tensor,
                    class_weights: torch.Tensor | None) -> torch.Tensor:
    """probabilities (P, C) and labels (P,) of the valid pixels: mean over the classes present."""
    losses, weights = [], []
    for index in range(probabilities.shape[1]):
        truth = (labels == index).float()
        if truth.sum() == 0:
            continue  # the paper's 'present' classes: an absent class has no Jaccard to lose
        errors = (truth - probabilities[:, index]).abs()
        errors_sorted, order = torch.sort(errors, descending=True)
        losses.append(torch.dot(errors_sorted, lovasz_gradient(truth[order])))
        weights.append(1.0 if class_weights is None else float(class_weights[index]))
    stacked, weights = torch.stack(losses), torch.tensor(weights, device=probabilities.device)
    return (stacked * weights).sum() / weights.sum().clamp_min(1e-12)


def _lovasz_hinge(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """logits (P,) and binary labels (P,) of the valid pixels: the binary Lovasz hinge."""
    truth = labels.float()
    errors = 1 - logits * (2 * truth - 1)
    errors_sorted, order = torch.sort(errors, descending=True)
    return torch.dot(torch.relu(errors_sorted), lovasz_gradient(truth[order]))


def lovasz_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None,
                ignore_index: int = IGNORE_INDEX, class_weights: torch.Tensor | None = None) -> torch.Tensor:
    """Lovasz-softmax over the classes present in the batch (C >= 2 channels), or the binary Lovasz
    hinge on one sigmoid channel; ignored pixels left out."""
    valid = labels != ignore_index
    if not valid.any():
        return connected_zero(logits)
    if logits.shape[1] == 1:
        return _lovasz_hinge(logits.float()[:, 0][valid], labels[valid])
    probabilities = class_probabilities(logits).permute(0, 2, 3, 1)[valid]   # (P, C)
    return _lovasz_softmax(probabilities, labels[valid], class_weights)
