"""Time to quality on DRIVE (issue 5c): training seconds until the test F1 first reaches a target.

Trains unetkit's DRIVE recipe (configs/drive.yaml) or the segmentation_models.pytorch Unet-ResNet34
peer through the same data pipeline, optimizer, schedule and training step, scoring the 20 test
images (FOV, 1st manual) every N iterations. The clock counts training only (the scoring pauses
it). The cosine schedule spans the iterations a short probe predicts for the budget.

Usage: python benchmarks/time_to_quality.py --model unetkit|smp-resnet34 [--minutes 5] [--every 50]
       [--target 0.80] [--drive ../shared/data/drive] [--no-append] [key=value ...]
Prints the scoring log and a table row, and appends them to docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from _report import append_report
from _smp_unet import SmpUnetResNet34
from torch.utils.data import DataLoader

from unetkit.config import load_config
from unetkit.data import PatchDataset, compute_normalization, find_samples, load_samples
from unetkit.data.augment import build_augmentation
from unetkit.evaluate import evaluate_samples
from unetkit.infer.predictor import Predictor
from unetkit.losses import LOSSES, build_loss
from unetkit.runtime import choose_precision, memory_format, resolve_device
from unetkit.train import model_for_config
from unetkit.train.optimizers import build_optimizer
from unetkit.train.schedules import lr_factor
from unetkit.train.step import TrainStep


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="unetkit", choices=["unetkit", "smp-resnet34"])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--every", type=int, default=50, help="score the test images every N iterations")
    parser.add_argument("--target", type=float, default=0.80)
    parser.add_argument("--drive", default="../shared/data/drive")
    parser.add_argument("--config", default=str(Path(__file__).parents[1] / "configs" / "drive.yaml"))
    parser.add_argument("--no-append", action="store_true")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    config = load_config(args.config, [f"data.root={args.drive}", "data.val_images=", *args.overrides])
    device = resolve_device(config.train.device)
    precision = choose_precision(config.train.precision, device).precision
    fmt = memory_format(precision, device)
    torch.manual_seed(config.train.seed)
    train_samples = load_samples(find_samples(config.data, "train"), config.data)
    test_samples = load_samples(find_samples(config.data, "test"), config.data)
    normalization = compute_normalization(train_samples)
    out_channels = LOSSES[config.train.loss].output_channels(config.data.num_classes)
    model = (model_for_config(config) if args.model == "unetkit"
             else SmpUnetResNet34(config.data.channels, out_channels)).to(device, memory_format=fmt)
    optimizer = build_optimizer(model.parameters(), config.train)
    step = TrainStep(model, optimizer, build_loss(config.train.loss), device, precision, fmt)
    dataset = PatchDataset(train_samples, config.data.patch_size, 10**7, normalization,
                           build_augmentation(config.augment, config.data.patch_size, config.data.channels),
                           seed=config.train.seed, whole_images=config.augment.letterbox)
    batches = iter(DataLoader(dataset, batch_size=config.train.batch_size, num_workers=config.data.workers))
    predictor = Predictor(model, normalization, config.data.class_names, config.infer, device=device,
                          precision=precision)

    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(3):  # warm-up: allocator, cuDNN autotuning
        step(*next(batches))
    sync()
    probe_started = time.perf_counter()
    for _ in range(10):
        step(*next(batches))
    sync()
    total_steps = max(10, int(args.minutes * 60 / ((time.perf_counter() - probe_started) / 10)))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, config.train, total_steps, 100))
    step.scheduler = scheduler

    clock, reached, log = 0.0, None, []
    for iteration in range(1, total_steps + 1):
        started = time.perf_counter()
        model.train()
        step(*next(batches))
        sync()
        clock += time.perf_counter() - started
        if iteration % args.every == 0 or iteration == total_steps or clock >= args.minutes * 60:
            metrics = evaluate_samples(predictor, test_samples)
            log.append({"iteration": iteration, "train_seconds": round(clock, 1), "f1": metrics["f1"],
                        "auc": metrics["auc"]})
            print(json.dumps(log[-1]), flush=True)
            if reached is None and metrics["f1"] >= args.target:
                reached = log[-1]
            if clock >= args.minutes * 60:
                break
    best = max(log, key=lambda r: r["f1"])
    params = sum(p.numel() for p in model.parameters()) / 1e6
    row = (f"| {args.model} ({params:.1f}M) | {reached['train_seconds'] if reached else 'not reached'} | "
           f"{best['f1']:.4f} / {best['auc']:.4f} at {best['train_seconds']} s | {log[-1]['f1']:.4f} / "
           f"{log[-1]['auc']:.4f} | {log[-1]['iteration']} |")
    append_report(f"Time to test F1 >= {args.target} on DRIVE (issue 5c)", [
        f"{args.minutes} min budget, test scored every {args.every} iterations (clock paused), {precision}\n",
        "| model | seconds to target | best F1 / AUC | final F1 / AUC | iterations |", "|---|---|---|---|---|", row],
        append=not args.no_append)


if __name__ == "__main__":
    main()
