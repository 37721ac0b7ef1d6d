"""Score a Predictor on labelled samples: whole images, inside each ROI, ignore label left out."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import torch

from .config import config_for_checkpoint
from .data import Sample, find_samples, load_samples
from .errors import DataError
from .infer.predictor import Predictor
from .metrics import SegmentationMetrics, format_table
from .rand_error import RandErrorScores
from .train.checkpoint import load_checkpoint, model_from_checkpoint
from .viz.panels import side_by_side

log = logging.getLogger(__name__)


def evaluate_samples(predictor: Predictor, samples: list[Sample], progress: bool = False) -> dict:
    """Metrics over `samples` (each must have a label). ISBI datasets also get the challenge's
    pixel_error and rand_error."""
    config = predictor.config
    metrics = SegmentationMetrics(config.data.num_classes, config.data.class_names, predictor.threshold)
    rand = RandErrorScores() if config.data.format == "isbi" else None
    iterator = samples
    if progress:
        from tqdm import tqdm
        iterator = tqdm(samples, desc="evaluate", unit="img", leave=False)
    for sample in iterator:
        if sample.label is None:
            raise DataError(f"{sample.files.image}: no label mask to score against")
        probabilities = predictor.probabilities(sample.image)
        metrics.update(probabilities, torch.from_numpy(sample.label.astype(np.int64)))
        if rand is not None:
            rand.update(predictor.labels_from(probabilities), sample.label)
    result = metrics.compute()
    if rand is not None:
        result.update(pixel_error=1.0 - result["pixel_accuracy"], **rand.compute())
    return result


def sample_panel(predictor: Predictor, sample: Sample) -> np.ndarray:
    """input | prediction | label for one sample (ignored pixels of the label drawn grey)."""
    prediction = predictor.predict(sample.image)
    return side_by_side(sample.image, prediction.labels, sample.label, predictor.config.data.num_classes)


def evaluate_checkpoint(checkpoint: str | Path, split: str, config_path: str | Path | None = None,
                        overrides: list[str] | None = None, json_path: str | Path | None = None,
                        device: str = "auto") -> dict:
    """Evaluate a checkpoint on a dataset split and return the metrics dict.

    Data settings are the checkpoint's own, replaced by those of `config_path` and `overrides`.
    """
    model, saved_config, normalization = model_from_checkpoint(load_checkpoint(checkpoint), checkpoint)
    config = config_for_checkpoint(saved_config, config_path, overrides)
    predictor = Predictor(model, normalization, config, device=device, optimize=True)
    samples = load_samples(find_samples(config.data, split, need_masks=True), config.data)
    if not samples:
        raise DataError(f"{config.data.root}: split '{split}' has no samples")
    log.info("evaluating %s on %d %s images", checkpoint, len(samples), split)
    result = evaluate_samples(predictor, samples, progress=True)
    if json_path is not None:
        write_json(result, json_path)
    return result


def write_json(values: dict, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values, indent=2) + "\n")


__all__ = ["evaluate_checkpoint", "evaluate_samples", "format_table", "sample_panel"]
