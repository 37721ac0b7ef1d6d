"""Multi-scale inference (infer.scales): the image resized by each factor, its probabilities resized
back onto the image's own grid, so that views at several scales can be averaged like flips.

A model trained with augment.zoom_out saw crops shrunk by up to that factor; at native size it sees
only the finest end of what it learned. Predicting at a scale inside the training range (or averaging
several) gives it the context it was trained with.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def scaled_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """The (height, width) of an image of height x width resized by `scale` (at least 1 pixel)."""
    return max(1, round(height * scale)), max(1, round(width * scale))


def rescale_image(image: torch.Tensor, scale: float) -> torch.Tensor:
    """uint8 (C, H, W) resized by `scale` (bilinear, antialiased when shrinking), still uint8; scale 1
    returns the image itself."""
    if scale == 1.0:
        return image
    size = scaled_size(image.shape[-2], image.shape[-1], scale)
    resized = F.interpolate(image[None].float(), size=size, mode="bilinear", align_corners=False,
                            antialias=scale < 1.0)
    return resized[0].round_().clamp_(0, 255).to(torch.uint8)


def probabilities_to_size(probabilities: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(K, h, w) probabilities resized onto (K, height, width) (bilinear: each pixel's values still sum
    to 1); unchanged when already that size."""
    if probabilities.shape[-2:] == (height, width):
        return probabilities
    resized = F.interpolate(probabilities[None].float(), size=(height, width), mode="bilinear", align_corners=False)
    return resized[0]
