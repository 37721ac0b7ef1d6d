"""Whether a dataset has an up direction, measured from its masks.

A street photo has one (sky high, road low); a fundus photo, an EM slice or a micrograph has none.
For each class, the mean row of its pixels (0 = top, 1 = bottom) is taken in every decoded mask where
the class has pixels; a class whose mean row sits away from the middle, and sits there consistently
from image to image, shows a vertical layout:

    score(class) = |mean over images of its mean row - 0.5| - spread of those mean rows (their std)

The data is upright when the best class scores above UPRIGHT_SCORE. Sky at 0.2 +- 0.05 scores 0.25;
vessels around a fundus's centre score about 0; classes scattered over micrographs score below 0
(their spread is as large as their offset). Classes with under MIN_SHARE of the pixels, or found in
fewer than MIN_IMAGES masks, are not counted (too few to say).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

UPRIGHT_SCORE = 0.1
MIN_SHARE = 0.01
MIN_IMAGES = 3


@dataclass
class Layout:
    upright: bool
    score: float                                 # the best class's score (see the module's docstring)
    rows: dict[str, list[float]] = field(default_factory=dict)   # class -> [mean row, spread, images]
    landscape_share: float = 0.0                 # share of images wider than tall
    reason: str = ""                             # the verdict in a few words
    detail: str = ""                             # the statistic behind it, per class


def mean_rows(plane: np.ndarray) -> dict[int, tuple[float, int]]:
    """Raw mask value -> (mean row of its pixels, 0 = top and 1 = bottom; its pixel count) of one mask (H, W)."""
    values, inverse, counts = np.unique(plane, return_inverse=True, return_counts=True)
    rows = np.broadcast_to(np.linspace(0.0, 1.0, plane.shape[0])[:, None], plane.shape)
    sums = np.bincount(inverse.ravel(), weights=rows.ravel(), minlength=values.size)
    return {int(v): (float(s / n), int(n)) for v, s, n in zip(values, sums, counts)}


def describe_layout(per_mask: list[dict[int, tuple[float, int]]], class_of: dict[int, str],
                    landscape_share: float = 0.0) -> Layout:
    """The layout of masks given as mean_rows() each; `class_of` maps raw values to class names (values
    missing from it, void ones, are left out)."""
    total = sum(n for rows in per_mask for value, (_, n) in rows.items() if value in class_of) or 1
    by_class: dict[str, list[float]] = {}
    pixels: dict[str, int] = {}
    for rows in per_mask:
        merged: dict[str, tuple[float, int]] = {}
        for value, (row, count) in rows.items():   # several raw values may be one class (binary 1..255)
            name = class_of.get(value)
            if name is not None:
                before, seen = merged.get(name, (0.0, 0))
                merged[name] = ((before * seen + row * count) / (seen + count), seen + count)
        for name, (row, count) in merged.items():
            by_class.setdefault(name, []).append(row)
            pixels[name] = pixels.get(name, 0) + count
    stats = {name: [round(float(np.mean(rows)), 3), round(float(np.std(rows)), 3), len(rows)]
             for name, rows in by_class.items()
             if len(rows) >= MIN_IMAGES and pixels[name] / total >= MIN_SHARE}
    if not stats:
        return Layout(False, 0.0, {}, landscape_share, "too few labelled masks to measure a vertical layout")
    scores = {name: abs(mean - 0.5) - spread for name, (mean, spread, _) in stats.items()}
    best = max(scores, key=scores.get)
    upright = scores[best] > UPRIGHT_SCORE
    detail = "mean row of each class's pixels (0 top, 1 bottom) over the masks: " + ", ".join(
        f"{name} {mean:.2f}±{spread:.2f}" for name, (mean, spread, _) in sorted(stats.items(), key=lambda i: i[1][0]))
    reason = (f"{best} keeps to the {'top' if stats[best][0] < 0.5 else 'bottom'} (score {scores[best]:.2f} > "
              f"{UPRIGHT_SCORE})" if upright else
              f"no class keeps to the top or bottom (best score {scores[best]:.2f} <= {UPRIGHT_SCORE})")
    return Layout(upright, round(scores[best], 3), stats, landscape_share, reason, detail)
