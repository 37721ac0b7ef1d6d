"""`unetkit train`: a config file and overrides in, a run directory out (or k runs for --folds)."""
from __future__ import annotations

from pathlib import Path

from ..config import load_config
from ..train import train
from ..train.folds import train_folds


def default_run_dir(config_path: str | Path | None) -> Path:
    """runs/<config file name>, or runs/default without a config file."""
    return Path("runs") / (Path(config_path).stem if config_path else "default")


def train_from_config(config_path: str | Path | None = None, out: str | Path | None = None, resume: bool = False,
                      folds: int | None = None, overrides: list[str] | None = None) -> dict:
    """Train as the command does: --resume without --config reuses the run's own config.yaml.

    Returns the trainer's result, or for `folds` the summary written to folds.json; both with 'run_dir'.
    """
    out = Path(out) if out else default_run_dir(config_path)
    if resume and config_path is None and (out / "config.yaml").is_file():
        config_path = out / "config.yaml"
    config = load_config(config_path, overrides)
    result = train_folds(config, out, folds, resume=resume) if folds else train(config, out, resume=resume)
    return {**result, "run_dir": out}
