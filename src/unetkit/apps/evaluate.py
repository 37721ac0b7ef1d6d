"""`unetkit evaluate`: score a checkpoint on a dataset split, print and optionally write the metrics."""
from __future__ import annotations

import logging
from pathlib import Path

from ..config import config_for_checkpoint
from ..data import FORMATS, find_samples, load_samples
from ..errors import DataError
from ..evaluate import evaluate_samples
from ..files import write_json
from ..infer.predictor import Predictor
from ..models import load_model
from .common import stored_run_config

log = logging.getLogger(__name__)


def evaluate_checkpoint(checkpoint: str | Path, split: str = "test", config_path: str | Path | None = None,
                        overrides: list[str] | None = None, json_path: str | Path | None = None,
                        device: str = "auto") -> dict:
    """Evaluate a checkpoint on a dataset split and return the metrics dict.

    Data and inference settings are the checkpoint's own, replaced by those of `config_path` and
    `overrides` (data.root=..., infer.tta=true, ...).
    """
    model, meta = load_model(checkpoint)
    config = config_for_checkpoint(stored_run_config(model, meta), config_path, overrides)
    predictor = Predictor(model, meta.normalization, meta.class_names, config.infer, device=device, optimize=True)
    samples = load_samples(find_samples(config.data, split, need_masks=True), config.data, meta.ignore_index)
    if not samples:
        raise DataError(f"{config.data.root}: split '{split}' has no samples")
    log.info("evaluating %s on %d %s images", checkpoint, len(samples), split)
    extra_metrics = FORMATS[config.data.format].extra_metrics
    result = evaluate_samples(predictor, samples, extra_metrics, meta.ignore_index, progress=True)
    if json_path is not None:
        write_json(result, json_path)
    return result
