"""Images people look at: label maps saved as PNG, and predictions blended over the input."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from .palette import binary_palette, overlay_palette, voc_palette


def as_rgb(image: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 1) or (H, W, 3) uint8 -> (H, W, 3) uint8."""
    if image.ndim == 2:
        image = image[..., None]
    return np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image[..., :3]


def blend_overlay(image: np.ndarray, labels: np.ndarray, alpha: float = 0.7,
                  palette: np.ndarray | None = None) -> np.ndarray:
    """Blend class colours over the image at `alpha` where labels != 0 (background stays untouched)."""
    rgb = as_rgb(image).astype(np.float32)
    num_classes = int(labels.max(initial=0)) + 1
    colours = (palette if palette is not None else overlay_palette(max(num_classes, 2)))[labels].astype(np.float32)
    foreground = (labels != 0)[..., None]
    blended = np.where(foreground, (1 - alpha) * rgb + alpha * colours, rgb)
    return blended.round().clip(0, 255).astype(np.uint8)


def save_label_png(labels: np.ndarray, path: str | Path, num_classes: int, palette: np.ndarray | None = None) -> None:
    """Binary: 0/255 grayscale PNG. Multi-class, or any `palette` ((256, 3) uint8): a palette PNG whose
    pixel values are the class ids, shown in VOC's colours or the palette's."""
    if num_classes == 2 and palette is None:
        Image.fromarray((labels > 0).astype(np.uint8) * 255).save(path)
        return
    image = Image.fromarray(labels.astype(np.uint8), mode="P")
    image.putpalette((voc_palette() if palette is None else palette).reshape(-1).tolist())
    image.save(path)


def colorize(labels: np.ndarray, num_classes: int, palette: np.ndarray | None = None) -> np.ndarray:
    """Class ids (H, W) -> RGB (H, W, 3) for panels: white foreground for binary, VOC colours otherwise,
    or `palette`'s ((256, 3) uint8)."""
    if palette is None:
        palette = binary_palette() if num_classes == 2 else voc_palette()
    return palette[labels]


def draw_contours(image: np.ndarray, labels: np.ndarray, palette: np.ndarray | None = None,
                  thickness: int = 1) -> np.ndarray:
    """The image with the outline of every predicted class region drawn in its class colour."""
    import cv2
    canvas = np.ascontiguousarray(as_rgb(image).copy())
    colours = palette if palette is not None else overlay_palette(max(int(labels.max(initial=0)) + 1, 2))
    for class_id in np.unique(labels):
        if class_id == 0:
            continue
        contours, _ = cv2.findContours((labels == class_id).astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(canvas, contours, -1, tuple(int(c) for c in colours[class_id]), thickness)
    return canvas


def save_probabilities_png(probabilities: np.ndarray, path: str | Path) -> None:
    """Foreground probability (binary) or one plane per class side by side, as 16-bit grayscale PNG."""
    planes = probabilities[1:2] if probabilities.shape[0] == 2 else probabilities
    strip = np.concatenate(list(planes), axis=1)
    Image.fromarray((strip.clip(0, 1) * 65535 + 0.5).astype(np.uint16)).save(path)
