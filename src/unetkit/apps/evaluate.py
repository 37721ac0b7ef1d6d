"""`unetkit evaluate`: score a checkpoint on a dataset split, print and optionally write the metrics."""
from __future__ import annotations

import logging
import math
from pathlib import Path

from ..config import config_for_checkpoint
from ..data import FORMATS, find_samples, load_samples
from ..errors import DataError
from ..evaluate import score_samples
from ..files import write_json
from ..infer.predictor import Predictor
from ..models import load_model
from ..viz.charts import confusion_matrix_chart, per_class_bar_chart
from .common import stored_run_config

log = logging.getLogger(__name__)


def evaluate_checkpoint(checkpoint: str | Path, split: str = "test", config_path: str | Path | None = None,
                        overrides: list[str] | None = None, json_path: str | Path | None = None,
                        device: str = "auto", report_dir: str | Path | None = None) -> dict:
    """Evaluate a checkpoint on a dataset split and return the metrics dict.

    Data and inference settings are the checkpoint's own, replaced by those of `config_path` and
    `overrides` (data.root=..., infer.tta=true, ...). `report_dir` gets the per-class report.
    """
    model, meta = load_model(checkpoint)
    config = config_for_checkpoint(stored_run_config(model, meta), config_path, overrides)
    predictor = Predictor(model, meta.normalization, meta.class_names, config.infer, device=device, optimize=True)
    samples = load_samples(find_samples(config.data, split, need_masks=True), config.data, meta.ignore_index)
    if not samples:
        raise DataError(f"{config.data.root}: split '{split}' has no samples")
    log.info("evaluating %s on %d %s images", checkpoint, len(samples), split)
    extra_metrics = FORMATS[config.data.format].extra_metrics
    result, confusion = score_samples(predictor, samples, extra_metrics, meta.ignore_index, progress=True)
    if json_path is not None:
        write_json(result, json_path)
    if report_dir is not None:
        write_report(result, confusion, meta.class_names, report_dir)
    return result


REPORT_CHARTS = {"iou": ("iou_per_class", "IoU"), "recall": ("recall_per_class", "recall (pixel accuracy)"),
                 "precision": ("precision_per_class", "precision"), "f1": ("f1_per_class", "F1 (Dice)")}


def write_report(metrics: dict, confusion, class_names: list[str], report_dir: str | Path) -> list[Path]:
    """metrics.json (with the confusion matrix), a bar chart per per-class metric, the confusion matrix."""
    report_dir = Path(report_dir)
    written = [write_json({**metrics, "confusion_matrix": confusion.tolist()}, report_dir / "metrics.json")]
    for name, (key, title) in REPORT_CHARTS.items():
        defined = [value for value in metrics[key].values() if not math.isnan(value)]
        mean = sum(defined) / len(defined) if defined else float("nan")
        written.append(per_class_bar_chart(metrics[key], f"{title}: mean {mean:.4f}", report_dir / f"{name}.png"))
    written.append(confusion_matrix_chart(confusion, class_names, report_dir / "confusion_matrix.png"))
    return written
