"""Fit an image of any size to a network: mirror-pad to a size the network accepts, crop the output back.

Pure tensor functions, testable without any model or training code.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


def mirror_indices(start: int, stop: int, size: int) -> np.ndarray:
    """Indices start..stop-1 into an axis of length `size`, reflected at both ends as often as
    needed (numpy's 'reflect' mode: the edge pixel is not repeated)."""
    indices = np.arange(start, stop)
    if size == 1:
        return np.zeros_like(indices)
    period = 2 * (size - 1)
    indices = np.mod(indices, period)
    return np.where(indices >= size, period - indices, indices)


def mirror_window(image: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    """The (..., height, width) window of (..., H, W) at (top, left), mirrored where it leaves the image.

    Inside the image this is a view; outside, pixels are gathered through mirrored indices, so any
    amount of padding works and the image is never copied as a whole.
    """
    rows = mirror_indices(top, top + height, image.shape[-2])
    cols = mirror_indices(left, left + width, image.shape[-1])
    if rows[0] == top and rows[-1] == top + height - 1 and cols[0] == left and cols[-1] == left + width - 1:
        return image[..., top:top + height, left:left + width]
    rows, cols = torch.from_numpy(rows).to(image.device), torch.from_numpy(cols).to(image.device)
    return image[..., rows, :][..., cols]


def mirror_pad(tensor: torch.Tensor, top: int, bottom: int, left: int, right: int) -> torch.Tensor:
    """Reflect-pad (..., H, W) by any amount, also more than the image size."""
    height, width = tensor.shape[-2:]
    return mirror_window(tensor, -top, -left, height + top + bottom, width + left + right)


@dataclass(frozen=True)
class PadPlan:
    """How an (H, W) image is padded for the network and where the output sits in the result."""
    top: int
    bottom: int
    left: int
    right: int
    out_top: int   # offset of the image's first pixel inside the network output
    out_left: int
    height: int
    width: int


def plan_padding(model, height: int, width: int) -> PadPlan:
    """Padding so that the network's output covers the whole (H, W) image.

    same-padding models: pad to the next multiple of 2**depth.
    valid-padding models: the paper's mirror extension, the border context (input - output) / 2 on
    each side, plus whatever makes the output a size the network can produce.
    The extra goes to the bottom and right, so the image's first pixel is the output's first pixel,
    on the same pooling grid as the first tile of tiled inference.
    """
    in_height, in_width = model.input_size_for(height), model.input_size_for(width)
    out_height, out_width = model.output_size(in_height), model.output_size(in_width)
    top, left = (in_height - out_height) // 2, (in_width - out_width) // 2
    return PadPlan(top, in_height - height - top, left, in_width - width - left, 0, 0, height, width)


def pad_for_model(model, images: torch.Tensor) -> tuple[torch.Tensor, PadPlan]:
    """Mirror-pad (N, C, H, W) to a size `model` accepts."""
    plan = plan_padding(model, images.shape[-2], images.shape[-1])
    return mirror_pad(images, plan.top, plan.bottom, plan.left, plan.right), plan


def crop_output(outputs: torch.Tensor, plan: PadPlan) -> torch.Tensor:
    """Cut the network output (N, K, H', W') back to the image's (H, W)."""
    return outputs[..., plan.out_top:plan.out_top + plan.height, plan.out_left:plan.out_left + plan.width]
