"""Pictures of explanations: a heat map blended over the image, and a labelled grid of layers."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .charts import pyplot
from .overlay import as_rgb


def cam_overlay(image: np.ndarray, cam: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """The map (H, W) in [0, 1] in jet colours over the image (H, W, C) uint8 at opacity `alpha`
    (grad-cam's show_cam_on_image, which draws the maps its users know)."""
    from pytorch_grad_cam.utils.image import show_cam_on_image
    rgb = as_rgb(image).astype(np.float32) / 255.0
    return show_cam_on_image(rgb, np.clip(cam, 0, 1).astype(np.float32), use_rgb=True, colormap=cv2.COLORMAP_JET,
                             image_weight=1.0 - alpha)


def tile_grid(tiles: list[tuple[str, np.ndarray]], path: str | Path, title: str = "", columns: int = 5,
              tile_inches: float = 2.2) -> Path:
    """RGB tiles in a grid, each labelled, left to right and top to bottom, saved as PNG."""
    plt = pyplot()
    columns = min(columns, len(tiles))
    rows = -(-len(tiles) // columns)
    height, width = tiles[0][1].shape[:2]
    figure, axes = plt.subplots(rows, columns, figsize=(columns * tile_inches, rows * tile_inches * height / width + 0.4),
                                squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    for axis, (label, picture) in zip(axes.flat, tiles):
        axis.imshow(picture)
        axis.set_title(label, fontsize=7)
    if title:
        figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return Path(path)
