"""Report charts with matplotlib: a bar per class for one metric, and the confusion matrix."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def pyplot():
    import matplotlib
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt
    return plt


def per_class_bar_chart(values: dict[str, float], title: str, path: str | Path) -> Path:
    """Horizontal bars, one per class, the value written at the end of each (as the VOC report draws them)."""
    plt = pyplot()
    names = list(values)
    numbers = [0.0 if np.isnan(v) else float(v) for v in values.values()]
    figure, axes = plt.subplots(figsize=(7, 0.35 * len(names) + 1.2))
    bars = axes.barh(range(len(names)), numbers, color="royalblue")
    axes.set_yticks(range(len(names)), names)
    axes.invert_yaxis()
    axes.set_xlim(0, 1.12)
    axes.set_title(title)
    for bar, value in zip(bars, values.values()):
        label = "n/a" if np.isnan(value) else f"{value:.2f}"
        axes.text(bar.get_width() + 0.01, bar.get_y() + bar.get_height() / 2, label, va="center", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


def confusion_matrix_chart(confusion: np.ndarray, class_names: list[str], path: str | Path) -> Path:
    """The confusion matrix with each row divided by its total (rows: true class, columns: predicted)."""
    plt = pyplot()
    totals = confusion.sum(axis=1, keepdims=True)
    normalised = np.divide(confusion, totals, out=np.zeros(confusion.shape, float), where=totals > 0)
    size = 0.45 * len(class_names) + 2.5
    figure, axes = plt.subplots(figsize=(size, size))
    image = axes.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    ticks = range(len(class_names))
    axes.set_xticks(ticks, class_names, rotation=90)
    axes.set_yticks(ticks, class_names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    if len(class_names) <= 25:
        for row in ticks:
            for column in ticks:
                axes.text(column, row, f"{normalised[row, column]:.2f}", ha="center", va="center", fontsize=7,
                          color="white" if normalised[row, column] > 0.5 else "black")
    figure.colorbar(image, fraction=0.046)
    axes.set_title("confusion matrix (row-normalised)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)
