"""Resize modes for models trained at a fixed input size: letterbox (keep aspect, pad) and stretch.

The forward transform resizes the uint8 image; the inverse maps (K, size, size) probabilities back
onto the original (H, W) grid exactly (same extent, no shift).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class ResizePlan:
    """Where the original image sits inside the resized canvas."""
    height: int            # original size
    width: int
    top: int               # placement of the resized image in the canvas
    left: int
    inner_height: int
    inner_width: int


def letterbox(image: np.ndarray, size: int, pad_value: int = 0) -> tuple[np.ndarray, ResizePlan]:
    """Scale (H, W, C) to fit size x size keeping its aspect ratio, centre it, pad with `pad_value`."""
    height, width = image.shape[:2]
    scale = size / max(height, width)
    inner_height, inner_width = max(1, round(height * scale)), max(1, round(width * scale))
    resized = _resize_image(image, inner_height, inner_width)
    canvas = np.full((size, size, image.shape[2]), pad_value, np.uint8)
    top, left = (size - inner_height) // 2, (size - inner_width) // 2
    canvas[top:top + inner_height, left:left + inner_width] = resized
    return canvas, ResizePlan(height, width, top, left, inner_height, inner_width)


def stretch(image: np.ndarray, size: int) -> tuple[np.ndarray, ResizePlan]:
    """Scale (H, W, C) to size x size, ignoring the aspect ratio."""
    height, width = image.shape[:2]
    return _resize_image(image, size, size), ResizePlan(height, width, 0, 0, size, size)


def shrink_to_fit(image: np.ndarray, side: int) -> tuple[np.ndarray, ResizePlan]:
    """Scale (H, W, C) down, keeping its aspect ratio, so that neither side exceeds `side` (no padding)."""
    height, width = image.shape[:2]
    scale = min(1.0, side / max(height, width))
    inner_height, inner_width = max(1, round(height * scale)), max(1, round(width * scale))
    resized = image if scale == 1.0 else _resize_image(image, inner_height, inner_width)
    return resized, ResizePlan(height, width, 0, 0, inner_height, inner_width)


def mask_onto_canvas(mask: np.ndarray, plan: ResizePlan, canvas_shape: tuple[int, int]) -> np.ndarray:
    """A mask (H, W) of the original image moved onto the resized canvas (nearest neighbour); 0 outside."""
    resized = cv2.resize(mask.astype(np.uint8), (plan.inner_width, plan.inner_height), interpolation=cv2.INTER_NEAREST)
    canvas = np.zeros(canvas_shape, np.uint8)
    canvas[plan.top:plan.top + plan.inner_height, plan.left:plan.left + plan.inner_width] = resized
    return canvas


def restore(probabilities: torch.Tensor, plan: ResizePlan) -> torch.Tensor:
    """(K, size, size) -> (K, H, W): cut out the image region and resize it back (bilinear)."""
    inner = probabilities[:, plan.top:plan.top + plan.inner_height, plan.left:plan.left + plan.inner_width]
    if inner.shape[-2:] == (plan.height, plan.width):
        return inner
    return F.interpolate(inner[None].float(), size=(plan.height, plan.width), mode="bilinear",
                         align_corners=False)[0]


def _resize_image(image: np.ndarray, height: int, width: int) -> np.ndarray:
    shrinking = height < image.shape[0] or width < image.shape[1]
    resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    return resized.reshape(height, width, image.shape[2])
