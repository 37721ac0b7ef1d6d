"""k-fold cross-validation: one run per fold, the folds given by the data format (ISBI: slices)."""
from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np

from ..config import Config
from ..data import FORMATS
from ..files import write_json
from .distributed import SingleProcess
from .trainer import train

log = logging.getLogger(__name__)


def train_folds(config: Config, out_dir: str | Path, folds: int, resume: bool = False,
                strategy: SingleProcess | None = None) -> dict:
    """Train fold_1 ... fold_k under out_dir (each holds out one part of the data) and write folds.json
    with every fold's validation metrics and their mean. Finished folds are read, not retrained."""
    out_dir, strategy = Path(out_dir), strategy or SingleProcess()
    results = []
    for index, fold in enumerate(FORMATS[config.data.format].folds(config.data, folds), start=1):
        fold_config = dataclasses.replace(config, data=fold.data)
        fold_dir = out_dir / f"fold_{index}"
        log.info("fold %d/%d: holding out %s %s", index, folds, fold.key, fold.held_out)
        finished = (fold_dir / "metrics.json").is_file()
        result = (json.loads((fold_dir / "metrics.json").read_text()) if finished
                  else train(fold_config, fold_dir, resume=resume and (fold_dir / "last.pt").is_file(),
                             strategy=strategy)["metrics"])
        results.append({"fold": index, fold.key: fold.held_out, "metrics": result})
    scalar_keys = [k for k, v in results[0]["metrics"].items() if isinstance(v, float)]
    mean = {key: float(np.mean([r["metrics"][key] for r in results])) for key in scalar_keys}
    summary = {"folds": results, "mean": mean}
    strategy.on_main(write_json, summary, out_dir / "folds.json")
    return summary
