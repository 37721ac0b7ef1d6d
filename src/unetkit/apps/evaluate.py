"""`unetkit evaluate`: score a checkpoint on a dataset split, print and optionally write the metrics."""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

from ..config import Config, config_for_checkpoint
from ..data import FORMATS, find_samples, load_samples
from ..errors import ConfigError, DataError
from ..evaluate import score_samples
from ..files import write_json
from ..infer.ensemble import load_models
from ..infer.predictor import Predictor, with_trained_flips
from ..metrics import PerImageScores
from ..models import ModelMeta
from ..viz.charts import confusion_matrix_chart, per_class_bar_chart
from .common import stored_run_config
from .postprocessing import choose_and_store

log = logging.getLogger(__name__)


@dataclass
class Evaluation:
    """What scoring checkpoints on a split needs: the Predictor (an ensemble for several checkpoints),
    the first checkpoint's metadata, the resolved config, the labelled samples and the files."""
    predictor: Predictor
    meta: ModelMeta
    config: Config
    samples: list
    paths: list[Path]


def prepare_evaluation(checkpoint: str | Path | list[str | Path], split: str, config_path: str | Path | None = None,
                       overrides: list[str] | None = None, device: str = "auto") -> Evaluation:
    """Load the checkpoint(s), lay `config_path` and `overrides` over the stored settings, read the split."""
    model, meta, paths = load_models(checkpoint)   # several (or a folds directory): an ensemble
    config = config_for_checkpoint(stored_run_config(model, meta), config_path, overrides)
    predictor = Predictor(model, meta.normalization, meta.class_names,
                          with_trained_flips(config.infer, config.augment), device=device,
                          optimize=len(paths) == 1)   # BatchNorm folding knows single networks
    samples = load_samples(find_samples(config.data, split, need_masks=True), config.data, meta.ignore_index)
    if not samples:
        raise DataError(f"{config.data.root}: split '{split}' has no samples")
    return Evaluation(predictor, meta, config, samples, paths)


def evaluate_checkpoint(checkpoint: str | Path | list[str | Path], split: str = "test", config_path: str | Path | None = None,
                        overrides: list[str] | None = None, json_path: str | Path | None = None,
                        device: str = "auto", report_dir: str | Path | None = None,
                        per_image_csv: str | Path | None = None, surface: bool = False, tolerance: float = 2.0,
                        choose_postprocessing: bool = False) -> dict:
    """Evaluate a checkpoint on a dataset split and return the metrics dict.

    Data and inference settings are the checkpoint's own, replaced by those of `config_path` and
    `overrides` (data.root=..., infer.tta=true, ...). `report_dir` gets the per-class report,
    `per_image_csv` a table of every image (worst first); `surface` adds hd95, assd, surface Dice
    (at `tolerance` px) and, for binary tasks, clDice. `choose_postprocessing` first chooses
    infer.postprocess on this split and stores it with the run (apps/postprocessing.py).
    """
    evaluation = prepare_evaluation(checkpoint, split, config_path, overrides, device)
    predictor, meta, config, samples, paths = (evaluation.predictor, evaluation.meta, evaluation.config,
                                               evaluation.samples, evaluation.paths)
    if len(paths) > 1 and choose_postprocessing:
        raise ConfigError("--choose-postprocessing stores its choice in one checkpoint: give one --checkpoint")
    if choose_postprocessing:
        choice = choose_and_store(paths[0], predictor, samples, meta.ignore_index)
    log.info("evaluating %s on %d %s images, precision %s", ", ".join(map(str, paths)), len(samples), split,
             predictor.precision_choice)
    extra_metrics = FORMATS[config.data.format].extra_metrics
    per_image = (PerImageScores(meta.class_names, surface, tolerance, meta.ignore_index)
                 if per_image_csv is not None or surface else None)
    result, confusion = score_samples(predictor, samples, extra_metrics, meta.ignore_index, progress=True,
                                      per_image=per_image)
    if choose_postprocessing:
        result["postprocess"] = {"chosen": choice.postprocess, "min_size": choice.min_size,
                                 "score_before": choice.score_before, "score_after": choice.score_after}
    if json_path is not None:
        write_json(result, json_path)
    if per_image_csv is not None:
        per_image.write_csv(per_image_csv)
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
