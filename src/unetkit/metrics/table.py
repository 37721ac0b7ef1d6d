"""Metrics as a plain-text table for the terminal."""
from __future__ import annotations


def format_table(metrics: dict) -> str:
    """A plain-text table of the scalar metrics followed by per-class IoU."""
    lines = [f"{'metric':<16}{'value':>10}", "-" * 26]
    for key, value in metrics.items():
        if isinstance(value, dict):
            continue
        lines.append(f"{key:<16}{value:>10.4f}")
    lines += ["", f"{'class':<16}{'IoU':>10}", "-" * 26]
    lines += [f"{name:<16}{value:>10.4f}" for name, value in metrics["iou_per_class"].items()]
    return "\n".join(lines)


PER_CLASS = (("IoU", "iou_per_class"), ("recall", "recall_per_class"), ("precision", "precision_per_class"),
             ("F1", "f1_per_class"))


def format_per_class_table(metrics: dict) -> str:
    """Per class: IoU, recall (= per-class pixel accuracy), precision, F1; then mIoU, mPA, mRecall, mPrecision."""
    names = list(metrics["iou_per_class"])
    width = max(16, max(len(name) for name in names) + 2)
    lines = [f"{'class':<{width}}" + "".join(f"{title:>11}" for title, _ in PER_CLASS),
             "-" * (width + 11 * len(PER_CLASS))]
    for name in names:
        lines.append(f"{name:<{width}}" + "".join(f"{metrics[key][name]:>11.4f}" for _, key in PER_CLASS))
    summary = (f"mIoU {metrics['miou']:.4f}   mPA {metrics['mean_accuracy']:.4f}   "
               f"mRecall {metrics['mean_accuracy']:.4f}   mPrecision {metrics['mean_precision']:.4f}   "
               f"pixel accuracy {metrics['pixel_accuracy']:.4f}")
    lines += ["", summary]
    return "\n".join(lines)
