"""k-fold cross-validation over the labelled slices of an ISBI-style stack: one run per fold."""
from __future__ import annotations

import copy
import json
import logging
from pathlib import Path

import numpy as np

from ..config import Config
from ..data.formats import parse_slices
from ..errors import ConfigError
from .trainer import train

log = logging.getLogger(__name__)


def fold_slices(slices: list[int], folds: int) -> list[list[int]]:
    """Split slice indices into `folds` contiguous, nearly equal held-out groups."""
    if not 2 <= folds <= len(slices):
        raise ConfigError(f"--folds must be between 2 and the number of slices ({len(slices)})")
    return [[int(s) for s in group] for group in np.array_split(np.array(slices), folds)]


def train_folds(config: Config, out_dir: str | Path, folds: int, resume: bool = False) -> dict:
    """Train fold_1 ... fold_k under out_dir (each holds out one group of slices) and write folds.json
    with every fold's validation metrics and their mean."""
    if config.data.format != "isbi":
        raise ConfigError("--folds splits the slices of an isbi dataset (data.format=isbi)")
    out_dir = Path(out_dir)
    slices = sorted(set(parse_slices(config.data.train_slices)) | set(parse_slices(config.data.val_slices)))
    results = []
    for index, held_out in enumerate(fold_slices(slices, folds), start=1):
        fold_config = copy.deepcopy(config)
        fold_config.data.val_slices = ",".join(map(str, held_out))
        fold_config.data.train_slices = ",".join(str(s) for s in slices if s not in held_out)
        fold_dir = out_dir / f"fold_{index}"
        log.info("fold %d/%d: holding out slices %s", index, folds, fold_config.data.val_slices)
        finished = (fold_dir / "metrics.json").is_file()
        result = (json.loads((fold_dir / "metrics.json").read_text()) if finished
                  else train(fold_config, fold_dir, resume=resume and (fold_dir / "last.pt").is_file())["metrics"])
        results.append({"fold": index, "val_slices": held_out, "metrics": result})
    scalar_keys = [k for k, v in results[0]["metrics"].items() if isinstance(v, float)]
    mean = {key: float(np.mean([r["metrics"][key] for r in results])) for key in scalar_keys}
    summary = {"folds": results, "mean": mean}
    (out_dir / "folds.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary
