"""Side-by-side panels: input | prediction | ground truth."""
from __future__ import annotations

import numpy as np

from .overlay import as_rgb, colorize


def side_by_side(image: np.ndarray, prediction: np.ndarray, label: np.ndarray | None, num_classes: int,
                 gap: int = 4, palette: np.ndarray | None = None) -> np.ndarray:
    """One RGB uint8 strip: the input, the predicted labels and (when given) the true labels, in
    `palette` ((256, 3) uint8; default: colorize's)."""
    parts = [as_rgb(image), colorize(prediction, num_classes, palette)]
    if label is not None:
        parts.append(colorize(label, num_classes, palette))
    height = parts[0].shape[0]
    spacer = np.full((height, gap, 3), 255, np.uint8)
    strip = [parts[0]]
    for part in parts[1:]:
        strip += [spacer, part]
    return np.concatenate(strip, axis=1)


ERROR_COLOURS = {"right": (0, 0, 0), "foreground_right": (255, 255, 255), "missed": (40, 110, 255),
                 "false": (255, 50, 50), "ignored": (128, 128, 128)}


def error_map(prediction: np.ndarray, label: np.ndarray, ignore_index: int = 255) -> np.ndarray:
    """RGB uint8: correct background black, correct foreground white, missed (true class not found)
    blue, false (predicted where it is not, or the wrong class) red, ignored grey."""
    rgb = np.zeros((*label.shape, 3), np.uint8)
    valid = label != ignore_index
    right = (prediction == label) & valid
    rgb[right & (label > 0)] = ERROR_COLOURS["foreground_right"]
    rgb[valid & ~right & (prediction == 0)] = ERROR_COLOURS["missed"]
    rgb[valid & ~right & (prediction > 0)] = ERROR_COLOURS["false"]
    rgb[~valid] = ERROR_COLOURS["ignored"]
    return rgb


def error_panel(image: np.ndarray, prediction: np.ndarray, label: np.ndarray, num_classes: int,
                ignore_index: int = 255, gap: int = 4) -> np.ndarray:
    """input | prediction | ground truth | error map, as one RGB strip."""
    strip = side_by_side(image, prediction, label, num_classes, gap)
    spacer = np.full((strip.shape[0], gap, 3), 255, np.uint8)
    return np.concatenate([strip, spacer, error_map(prediction, label, ignore_index)], axis=1)
