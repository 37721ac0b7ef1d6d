"""Side-by-side panels: input | prediction | ground truth."""
from __future__ import annotations

import numpy as np

from .overlay import as_rgb, colorize


def side_by_side(image: np.ndarray, prediction: np.ndarray, label: np.ndarray | None, num_classes: int,
                 gap: int = 4) -> np.ndarray:
    """One RGB uint8 strip: the input, the predicted labels and (when given) the true labels."""
    parts = [as_rgb(image), colorize(prediction, num_classes)]
    if label is not None:
        parts.append(colorize(label, num_classes))
    height = parts[0].shape[0]
    spacer = np.full((height, gap, 3), 255, np.uint8)
    strip = [parts[0]]
    for part in parts[1:]:
        strip += [spacer, part]
    return np.concatenate(strip, axis=1)
