"""The fps figure: images per second and milliseconds per image over warm repetitions."""
from __future__ import annotations

import time

import numpy as np

from .predictor import Predictor


def measure_fps(predictor: Predictor, image: np.ndarray, repetitions: int = 10, warmup: int = 2) -> dict:
    """Time `repetitions` predictions of `image` after `warmup` untimed ones (allocator, kernel choice)."""
    for _ in range(warmup):
        predictor.predict(image)
    started = time.perf_counter()
    for _ in range(repetitions):
        predictor.predict(image)
    seconds = time.perf_counter() - started
    return {"images_per_second": repetitions / seconds, "ms_per_image": 1000 * seconds / repetitions,
            "repetitions": repetitions, "height": image.shape[0], "width": image.shape[1]}
