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


def training_curves(history: list[dict], monitor: str, path: str | Path) -> Path:
    """A run's history.jsonl drawn: training loss, validation metric(s) and the learning rate per epoch.
    The validation panel shows train.monitor beside the training loss's trend, so over-fitting (the
    loss still falling while the validation score turns down) is visible."""
    plt = pyplot()
    epochs = [record["epoch"] for record in history]
    figure, (loss_axes, val_axes, lr_axes) = plt.subplots(1, 3, figsize=(13, 3.6))
    loss_axes.plot(epochs, [record["loss"] for record in history], marker=".", color="tab:blue")
    loss_axes.set_title("training loss")
    validated = [record for record in history if isinstance(record.get("val"), dict)]
    shown = [key for key in (monitor, "f1", "miou", "auc") if validated and key in validated[0]["val"]]
    for key in dict.fromkeys(shown):
        val_axes.plot([r["epoch"] for r in validated], [r["val"][key] for r in validated], marker="o", label=key)
    if validated:
        best = max(validated, key=lambda r: r["val"][monitor]) if monitor in validated[0]["val"] else None
        if best is not None:
            val_axes.axvline(best["epoch"], color="grey", linestyle=":", label=f"best {monitor} (epoch {best['epoch']})")
        val_axes.legend(fontsize=8)
    val_axes.set_title("validation" if validated else "validation (none in this run)")
    lr_axes.plot(epochs, [record["lr"] for record in history], marker=".", color="tab:green")
    lr_axes.set_title("learning rate (end of epoch)")
    lr_axes.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    for axes in (loss_axes, val_axes, lr_axes):
        axes.set_xlabel("epoch")
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


def roc_pr_chart(curves: dict, auc: float, path: str | Path) -> Path:
    """ROC curve (with its AUC) and precision-recall curve (with average precision) side by side."""
    plt = pyplot()
    figure, (roc_axes, pr_axes) = plt.subplots(1, 2, figsize=(9, 4))
    roc_axes.plot(curves["fpr"], curves["tpr"], color="tab:blue")
    roc_axes.plot([0, 1], [0, 1], color="grey", linestyle=":")
    roc_axes.set(xlabel="false positive rate (1 - specificity)", ylabel="true positive rate (sensitivity)",
                 title=f"ROC, AUC {auc:.4f}", xlim=(0, 1), ylim=(0, 1.01))
    pr_axes.plot(curves["recall"], curves["precision"], color="tab:orange")
    pr_axes.set(xlabel="recall", ylabel="precision", title=f"precision-recall, AP {curves['average_precision']:.4f}",
                xlim=(0, 1), ylim=(0, 1.01))
    for axes in (roc_axes, pr_axes):
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


def reliability_chart(diagram: dict[str, list[float]], ece: float, path: str | Path) -> Path:
    """The reliability diagram (metrics/calibration.py): accuracy against mean confidence per bin, the
    diagonal being perfect calibration, and below it the share of pixels in each bin."""
    plt = pyplot()
    figure, (axes, shares) = plt.subplots(2, 1, figsize=(5, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    width = 1 / len(diagram["centre"])
    accuracy = [a if a == a else 0.0 for a in diagram["accuracy"]]   # an empty bin: no bar
    axes.bar(diagram["centre"], accuracy, width=width * 0.9, color="tab:blue", label="accuracy")
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated")
    confidence = [(c, m) for c, m in zip(diagram["centre"], diagram["confidence"]) if m == m]
    axes.scatter([c for c, _ in confidence], [m for _, m in confidence], color="tab:red", s=12, zorder=3,
                 label="mean confidence")
    axes.set(ylabel="accuracy of the predicted class", title=f"reliability, ECE {ece:.4f}", xlim=(0, 1), ylim=(0, 1.01))
    axes.legend(loc="upper left", fontsize=8)
    shares.bar(diagram["centre"], diagram["share"], width=width * 0.9, color="tab:gray")
    shares.set(xlabel="confidence (probability of the predicted class)", ylabel="share of pixels")
    for each in (axes, shares):
        each.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


def grouped_bar_chart(summary: dict[str, dict], metrics: list[str], path: str | Path) -> Path:
    """One group of bars per metric, one bar per experiment (mean, with the std over runs as an error bar)."""
    plt = pyplot()
    names = list(summary)
    width = 0.8 / max(1, len(names))
    figure, axes = plt.subplots(figsize=(max(6, 1.6 * len(metrics) * max(1, len(names)) / 2 + 2), 4))
    for index, name in enumerate(names):
        means = [summary[name][key]["mean"] for key in metrics]
        stds = [summary[name][key]["std"] for key in metrics]
        positions = np.arange(len(metrics)) + (index - (len(names) - 1) / 2) * width
        bars = axes.bar(positions, means, width, yerr=stds, capsize=3, label=f"{name} (n={summary[name]['runs']})")
        for bar, mean in zip(bars, means):
            axes.text(bar.get_x() + bar.get_width() / 2, mean + 0.01, f"{mean:.3f}", ha="center", fontsize=7)
    axes.set_xticks(range(len(metrics)), metrics)
    axes.set_ylim(0, 1.08)
    axes.set_ylabel("mean over runs (error bar: std)")
    axes.legend(fontsize=8, loc="lower right")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


def metric_versus_value(summary: dict[str, dict], values: dict[str, str | None], path: str | Path,
                        metrics: tuple[str, ...] = ("f1", "miou", "auc")) -> Path:
    """A sweep: each metric (mean +- std over runs) against the swept value, in the sweep's order."""
    plt = pyplot()
    names = list(summary)
    labels = [values.get(name) or name for name in names]
    numeric = all(_is_number(label) for label in labels)
    positions = [float(label) for label in labels] if numeric else list(range(len(labels)))
    figure, axes = plt.subplots(figsize=(6.5, 4))
    for key in metrics:
        if all(key in summary[name] for name in names):
            means = [summary[name][key]["mean"] for name in names]
            stds = [summary[name][key]["std"] for name in names]
            axes.errorbar(positions, means, yerr=stds, marker="o", capsize=3, label=key)
    if not numeric:
        axes.set_xticks(positions, labels, rotation=20)
    axes.set_xlabel(", ".join(dict.fromkeys(name.split("=")[0] for name in names)) if numeric else "setting")
    axes.set_ylabel("score (mean over runs)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except (TypeError, ValueError):
        return False
