"""Scalar maps (loss weights, probabilities) as colour images."""
from __future__ import annotations

import cv2
import numpy as np


def heatmap(values: np.ndarray, maximum: float | None = None) -> np.ndarray:
    """float (H, W) -> RGB uint8 (H, W, 3) with the inferno colour map, 0 .. maximum (default: max)."""
    top = float(values.max(initial=0.0)) if maximum is None else maximum
    scaled = np.clip(values / (top if top > 0 else 1.0) * 255.0, 0, 255).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(scaled, cv2.COLORMAP_INFERNO), cv2.COLOR_BGR2RGB)
