"""Class colours: the PASCAL VOC palette (class 0 black, the ignore label drawn white)."""
from __future__ import annotations

import numpy as np

from ..labels import IGNORE_INDEX

VOC_IGNORE_COLOUR = (224, 224, 192)   # the object borders of VOC's colour masks (index 255 of its palette)


def voc_palette(num_colors: int = 256) -> np.ndarray:
    """The standard VOC colour map, uint8 (num_colors, 3), built from the bits of each class id."""
    palette = np.zeros((num_colors, 3), np.uint8)
    for index in range(num_colors):
        value, red, green, blue = index, 0, 0, 0
        for shift in range(7, -1, -1):
            red |= ((value >> 0) & 1) << shift
            green |= ((value >> 1) & 1) << shift
            blue |= ((value >> 2) & 1) << shift
            value >>= 3
        palette[index] = (red, green, blue)
    palette[IGNORE_INDEX] = (255, 255, 255)
    return palette


def binary_palette() -> np.ndarray:
    """Binary tasks: background black, foreground white (as DRIVE and ISBI labels are drawn)."""
    palette = np.zeros((256, 3), np.uint8)
    palette[1] = (255, 255, 255)
    palette[IGNORE_INDEX] = (128, 128, 128)
    return palette


def overlay_palette(num_classes: int) -> np.ndarray:
    """Colours for drawing on top of images: a strong red for a binary foreground, VOC colours otherwise."""
    palette = voc_palette()
    if num_classes == 2:
        palette[1] = (255, 0, 0)
    return palette
