"""Issue 44: how long a 2000x2000 brush takes through Label Studio's RLE (unetkit's numpy codec, and Label
Studio's own converter for comparison when installed): 40 random discs, the median of 5 runs each.

    python benchmarks/label_studio_rle_time.py
"""
from __future__ import annotations

import time

import cv2
import numpy as np

from unetkit.data.annotations.label_studio_rle import mask_to_rle, rle_to_mask


def median_seconds(work, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def main() -> None:
    rng = np.random.default_rng(0)
    mask = np.zeros((2000, 2000), np.uint8)
    for _ in range(40):
        cv2.circle(mask, (int(rng.integers(0, 2000)), int(rng.integers(0, 2000))), int(rng.integers(10, 300)), 1, -1)
    mask = mask.astype(bool)
    rle = mask_to_rle(mask)
    assert np.array_equal(rle_to_mask(rle, 2000, 2000), mask)
    print(f"unetkit: encode {median_seconds(lambda: mask_to_rle(mask)):.3f} s, decode "
          f"{median_seconds(lambda: rle_to_mask(rle, 2000, 2000)):.3f} s ({len(rle)} bytes)")
    try:
        from label_studio_converter import brush
    except ImportError:
        return
    rgba = np.repeat(mask.ravel().astype(np.uint8) * 255, 4)
    print(f"label-studio-converter: encode {median_seconds(lambda: brush.encode_rle(rgba), 1):.3f} s, decode "
          f"{median_seconds(lambda: brush.decode_rle(rle), 1):.3f} s")


if __name__ == "__main__":
    main()
