"""ISBI 2012: the effect of the paper's tricks, measured (issue 4).

Trains configs/isbi2012_paper.yaml and configs/isbi2012.yaml, each with and without the border
weight map, on slices 0-24 for the same wall-clock budget, and scores slices 25-29 (pixel error,
Rand error, Dice). A short probe run first measures seconds per patch, so that each run's epoch count
(and so its learning-rate schedule) fits the budget.

Usage: python benchmarks/isbi2012_tricks.py [--root ../shared/data/isbi2012] [--minutes 3] [--out runs/isbi-tricks]
       [--only paper|modern] [key=value ...]      (extra overrides apply to every run, e.g. data.workers=4)
Prints a markdown table; append it to docs/benchmarks.md with the machine and the command.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import platform
import shutil
import time
from pathlib import Path

import torch

from unetkit.config import load_config
from unetkit.train import TrainingDiverged, train

CONFIGS = Path(__file__).parents[1] / "configs"
VARIANTS = {  # name: (config file, loss without weights, loss with weights)
    "paper": ("isbi2012_paper.yaml", "ce", "weighted_ce"),
    "modern": ("isbi2012.yaml", "ce_dice", "weighted_ce"),
}


def seconds_per_epoch(config_path: Path, overrides: list[str], out: Path) -> float:
    """Time one short epoch (after a warm-up epoch) and scale to a full epoch of the config."""
    probe = out / "probe"
    shutil.rmtree(probe, ignore_errors=True)
    config = load_config(config_path, [*overrides, "train.epochs=2", "data.patches_per_epoch=16",
                                       "train.val_every=1000"])
    train(config, probe)
    history = [json.loads(line) for line in (probe / "history.jsonl").read_text().splitlines()]
    per_patch = (history[1]["train_seconds"] - history[0]["train_seconds"]) / 16
    full = load_config(config_path, overrides)
    return per_patch * full.data.patches_per_epoch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="../shared/data/isbi2012")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--out", default="runs/isbi-tricks")
    parser.add_argument("--only", choices=list(VARIANTS))
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    out = Path(args.out)
    base = [f"data.root={args.root}", "train.progress=false", *args.overrides]
    rows = []
    for name, (config_file, plain_loss, weighted_loss) in VARIANTS.items():
        if args.only and name != args.only:
            continue
        epoch_seconds = seconds_per_epoch(CONFIGS / config_file, base, out / name)
        epochs = max(1, math.floor(args.minutes * 60 / epoch_seconds * 0.95))
        for loss in (plain_loss, weighted_loss):
            run = out / f"{name}_{loss}"
            shutil.rmtree(run, ignore_errors=True)
            config = load_config(CONFIGS / config_file, [*base, f"train.loss={loss}", f"train.epochs={epochs}",
                                                         f"train.max_minutes={args.minutes}",
                                                         f"train.val_every={max(1, epochs // 4)}"])
            started = time.perf_counter()
            try:
                result = train(config, run)
            except TrainingDiverged as error:
                print(f"{name} {loss}: diverged: {error}", flush=True)
                continue
            wall = time.perf_counter() - started
            from unetkit.evaluate import evaluate_checkpoint
            metrics = evaluate_checkpoint(run / "last.pt", "val", overrides=[f"data.root={args.root}"])
            rows.append((name, loss, epochs, result["epochs"], result["train_seconds"], wall, metrics))
            print(f"{name} {loss}: {json.dumps({k: v for k, v in metrics.items() if not isinstance(v, dict)})}",
                  flush=True)
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU ({platform.processor() or 'x86_64'})"
    print(f"\nISBI 2012, train slices 0-24, scored on 25-29 (last.pt), {args.minutes} min budget per run, {device}, "
          f"torch {torch.__version__}\n")
    print("| config | loss | epochs | train s | wall s | pixel error | Rand error | Dice (cell) | IoU (cell) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, loss, planned, done, train_seconds, wall, m in rows:
        print(f"| {name} | {loss} | {done}/{planned} | {train_seconds:.0f} | {wall:.0f} | {m['pixel_error']:.4f} | "
              f"{m['rand_error']:.4f} | {m['f1']:.4f} | {m['iou_per_class']['cell']:.4f} |")


if __name__ == "__main__":
    main()
