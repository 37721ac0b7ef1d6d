"""How faithful a map is, deletion-style (Petsiuk et al. 2018, RISE): blur away the pixels the map
ranks highest and watch the class score fall.

score(f) = mean probability of the class over the target region after the top fraction f of the
image's pixels (by the map) are replaced by a blurred copy of the image, for f in DELETION_FRACTIONS.
faithfulness = 1 - mean_f score(f) / score(0): near 1 when the class vanishes as soon as the
attributed pixels go, near 0 when they do not matter. The same curve with a random pixel order is
the baseline a map must beat (`random_deletion_score`).

Written here rather than taken from grad-cam's ROAD metrics: those impute removed pixels by a
sparse linear solve per image and fraction (seconds each at 584x565 on a CPU) and score classifier
outputs; a blur is what the explanation's users can picture, and one batched forward pass per map
keeps a layer sweep affordable.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

DELETION_FRACTIONS = (0.05, 0.1, 0.2, 0.3, 0.5)

Scorer = Callable[[torch.Tensor], torch.Tensor]   # normalised images (N, C, H, W) -> class score (N,)


def blurred(image: torch.Tensor) -> torch.Tensor:
    """A strongly blurred copy of (1, C, H, W): sigma 10% of the longer side (at least 4 px), enough
    to wash out thin structures and blobs alike."""
    from torchvision.transforms.v2.functional import gaussian_blur
    height, width = image.shape[-2:]
    sigma = max(4.0, 0.1 * max(height, width))
    kernel = min(int(4 * sigma) | 1, 2 * min(height, width) - 1)   # odd; reflect padding needs < 2 sides
    return gaussian_blur(image, [kernel, kernel], [sigma, sigma])


def deletion_scores(scorer: Scorer, image: torch.Tensor, blur: torch.Tensor, order: np.ndarray,
                    fractions: tuple[float, ...] = DELETION_FRACTIONS) -> np.ndarray:
    """Class score after blurring the first `fraction` of the pixels in `order` (flat indices, most
    relevant first), for each fraction, in one batched pass: (len(fractions),)."""
    height, width = image.shape[-2:]
    batch = image.repeat(len(fractions), 1, 1, 1)
    for row, fraction in enumerate(fractions):
        chosen = torch.from_numpy(order[:round(fraction * height * width)]).to(image.device)
        removed = torch.zeros(height * width, dtype=torch.bool, device=image.device)
        removed[chosen] = True
        batch[row] = torch.where(removed.view(height, width), blur[0], image[0])
    return scorer(batch).float().cpu().numpy()


def faithfulness(scorer: Scorer, image: torch.Tensor, blur: torch.Tensor, cam: np.ndarray,
                 base_score: float) -> float | None:
    """1 - mean relative class score when the map's top pixels are blurred away; None for an empty
    map or a class the network does not score at all there."""
    if base_score <= 1e-6 or not np.any(cam > 0):
        return None
    order = np.argsort(-cam.reshape(-1), kind="stable")
    return float(1.0 - np.mean(deletion_scores(scorer, image, blur, order) / base_score))


def random_deletion_score(scorer: Scorer, image: torch.Tensor, blur: torch.Tensor, base_score: float,
                          seed: int = 0) -> float | None:
    """The same score for a random pixel order: what a map that knows nothing achieves."""
    if base_score <= 1e-6:
        return None
    height, width = image.shape[-2:]
    order = np.random.default_rng(seed).permutation(height * width)
    return float(1.0 - np.mean(deletion_scores(scorer, image, blur, order) / base_score))
