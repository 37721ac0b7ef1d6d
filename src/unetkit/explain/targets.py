"""What is explained: the score of class c summed over a region of the output (Grad-CAM for
segmentation, as in the VOC report and pytorch-grad-cam's SemanticSegmentationTarget).

The per-pixel score is the class's log-odds, log(p_c / (1 - p_c)), by default: softmax logits are
defined only up to a shift, and a two-class network that says "vessel" by lowering the background
logit, not by raising the vessel one, gives the raw logit an all-zero Grad-CAM at its last layers.
The log-odds is the same number for a two-channel softmax and a one-channel sigmoid head.
`score='logit'` is the raw logit, the VOC report's literal definition.

The region is the pixels predicted as c ('pred', the default), a ground-truth mask of c ('gt'), a
given mask, or the whole image ('all', the unmasked target). It never includes the mirror padding
the network input needs: only the image's own pixels count.
"""
from __future__ import annotations

import torch

REGIONS = ("pred", "gt", "all")   # besides a mask file
SCORES = ("logodds", "logit")


class ClassRegionTarget:
    """Callable on one output (K, H', W') -> scalar: class `class_index`'s score summed over `region`
    (bool (H', W')). A one-channel sigmoid head's logit is class 1's log-odds; class 0's is its negative."""

    def __init__(self, class_index: int, region: torch.Tensor, score: str = "logodds"):
        if score not in SCORES:
            raise ValueError(f"unknown score '{score}' ({', '.join(SCORES)})")
        self.class_index = class_index
        self.region = region
        self.score = score

    def class_scores(self, output: torch.Tensor) -> torch.Tensor:
        if output.shape[0] == 1:
            return output[0] if self.class_index == 1 else -output[0]
        chosen = output[self.class_index]
        if self.score == "logit":
            return chosen
        others = torch.cat([output[:self.class_index], output[self.class_index + 1:]])
        return chosen - torch.logsumexp(others.float(), dim=0)

    def __call__(self, output: torch.Tensor) -> torch.Tensor:
        region = self.region.to(output.device)
        return (self.class_scores(output).float() * region).sum()
