"""Fit an image of any size to a network: mirror-pad to a size the network accepts, crop the output back.

Pure tensor functions, testable without any model or training code.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def mirror_pad(tensor: torch.Tensor, top: int, bottom: int, left: int, right: int) -> torch.Tensor:
    """Reflect-pad (N, C, H, W) by any amount, also more than the image size (reflecting repeatedly)."""
    while top or bottom or left or right:
        height, width = tensor.shape[-2:]
        step = [min(left, width - 1), min(right, width - 1), min(top, height - 1), min(bottom, height - 1)]
        if height == 1 or width == 1:
            tensor = F.pad(tensor, [left, right, top, bottom], mode="replicate")
            break
        tensor = F.pad(tensor, step, mode="reflect")
        left, right, top, bottom = left - step[0], right - step[1], top - step[2], bottom - step[3]
    return tensor


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
