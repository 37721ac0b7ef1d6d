"""`unetkit demo`: generate the synthetic dataset, train, evaluate and predict, end to end."""
from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from ..config import load_config
from ..train import train
from .evaluate import evaluate_checkpoint
from .predict import predict
from .prediction_outputs import OutputOptions

log = logging.getLogger(__name__)


def demo_config_path() -> Path:
    return Path(str(resources.files("unetkit") / "presets" / "demo.yaml"))


def run_demo(out_dir: str | Path, overrides: list[str] | None = None) -> dict:
    """Train on generated data under out_dir, score the validation images, write overlays.

    Returns the validation metrics. A finished demo run in out_dir is reused, not retrained.
    """
    out_dir = Path(out_dir)
    config = load_config(demo_config_path(), [f"data.root={out_dir / 'data'}", *(overrides or [])])
    finished = (out_dir / "metrics.json").is_file() and (out_dir / "best.pt").is_file()
    if not finished:  # a fresh run, or one that was interrupted and continues from last.pt
        train(config, out_dir, resume=(out_dir / "last.pt").is_file())
    metrics = evaluate_checkpoint(out_dir / "best.pt", "val", json_path=out_dir / "metrics_val.json")
    val_dir = Path(config.data.root) / "val"
    options = OutputOptions(overlay=True, probabilities="npy", panel=True, contours=True)
    predict(out_dir / "best.pt", [val_dir / "images"], out_dir / "predictions", options, roi_dir=val_dir / "roi",
            masks_dir=val_dir / "masks")
    return metrics
