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
