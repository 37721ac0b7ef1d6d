"""How sure a prediction is, per pixel, from several probability maps of one image (views: the test-time
flips, MC-dropout passes, the members of an ensemble) or from one.

- `entropy`: the entropy of the mean probability, H(p̄) = -sum_k p̄_k log p̄_k (nats; log K at most):
  the total uncertainty.
- `mutual_information`: H(p̄) - mean_s H(p_s), the part of it the views disagree on (the epistemic part,
  BALD's score; Houlsby et al. 2011, Gal et al. 2017); 0 when every view says the same. Only with
  more than one view.

The maps are accumulated view by view (a running sum of probabilities and of entropies), so memory
does not grow with the number of views; the Predictor tiles large images as for plain prediction.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

EPSILON = 1e-12


def entropy(probabilities: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """-sum p log p over `dim` (nats), 0 log 0 taken as 0."""
    p = probabilities.float()
    return -(p * torch.log(p.clamp_min(EPSILON))).sum(dim)


@dataclass
class UncertaintyMaps:
    """The mean probability of the views and the two maps; `normalised()` divides them by log K (0..1)."""
    probabilities: torch.Tensor                  # (K, H, W): the mean over the views
    entropy: torch.Tensor                        # (H, W), nats
    mutual_information: torch.Tensor | None      # (H, W), nats; None for a single view
    views: int

    def normalised(self, name: str) -> torch.Tensor:
        """A map on 0..1 (divided by log K, the entropy of a uniform prediction) for heat maps."""
        values = getattr(self, name)
        return (values / math.log(self.probabilities.shape[0])).clamp(0, 1)

    def summary(self) -> dict[str, float]:
        """Per-image means, in nats (for the summary CSV)."""
        result = {"mean_entropy": float(self.entropy.mean())}
        if self.mutual_information is not None:
            result["mean_mutual_information"] = float(self.mutual_information.mean())
        return result


class ViewAccumulator:
    """Add each view's probabilities (K, H, W); `mean()` is their average (as tta_average computes
    it) and `maps()` adds the uncertainty maps when `with_entropy`."""

    def __init__(self, with_entropy: bool):
        self.with_entropy = with_entropy
        self.total: torch.Tensor | None = None
        self.entropies: torch.Tensor | None = None
        self.views = 0

    def add(self, probabilities: torch.Tensor) -> None:
        self.views += 1
        self.total = probabilities.clone() if self.total is None else self.total.add_(probabilities)
        if self.with_entropy:
            own = entropy(probabilities)
            self.entropies = own if self.entropies is None else self.entropies.add_(own)

    def mean(self) -> torch.Tensor:
        return self.total / self.views

    def maps(self) -> UncertaintyMaps:
        mean = self.mean()
        total = entropy(mean)
        disagreement = None
        if self.views > 1:
            disagreement = (total - self.entropies / self.views).clamp_min(0)   # >= 0 up to rounding
        return UncertaintyMaps(mean, total, disagreement, self.views)
