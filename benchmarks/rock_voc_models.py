"""Issue 10: unetkit's models beside segmentation_models.pytorch's Unet (ResNet-34 encoder) on rock_voc;
issue 29: timm encoders (tu-*) in unetkit's encoder U-Net beside smp's Unet on the same encoder.

Every model trains from scratch through unetkit's own trainer with configs/rock_voc.yaml (same data,
augmentation, loss, optimizer and schedule) for the same wall-clock budget; the smp network joins the
model registry for the run (one register_model call, the SegmentationModel contract: sizes a
multiple of 32). The cosine schedule is fitted to the budget: each model's speed is probed for a few
steps and its epochs (at least 8, shortened where the budget is small) set so that it uses the
whole budget (train.max_minutes is the hard stop).
best.pt is chosen on val.txt by mIoU and scored on test.txt.

Usage: python benchmarks/rock_voc_models.py [--minutes 10] [--models unet,attention_unet,...]
       [--root ../shared/data/rock_voc] [--out runs/rock_voc_bench] [--no-append] [key=value ...]
Needs the bench extra for the smp model (pip install -e '.[bench]').
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch
from _report import append_report
from _smp_unet import SmpUnetResNet34, smp_unet_on

from unetkit.apps.evaluate import evaluate_checkpoint
from unetkit.config import load_config
from unetkit.data import PatchDataset, compute_normalization, find_samples, load_samples
from unetkit.losses import build_loss
from unetkit.models import MODELS, register_model
from unetkit.runtime import choose_precision, memory_format, resolve_device
from unetkit.train import model_for_config, train
from unetkit.train.optimizers import build_optimizer
from unetkit.train.step import TrainStep

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "rock_voc.yaml"
MIN_EPOCHS = 8
MODEL_ARGS = {"unet": [], "attention_unet": [], "unetpp": [], "vgg16_unet": ["model.up=bilinear"],
              "resnet50_unet": ["model.up=bilinear"], "smp_unet_resnet34": [],
              "resnet34_unet": ["model.up=bilinear"],  # not in the list: smp's encoder
              "unet_w16": ["model.name=unet", "model.base_channels=16"]}  # the automatic plan's width on a CPU
TIMM_ENCODERS = ("tu-convnext_atto", "tu-efficientnet_b0", "tu-regnety_004")   # issue 29: similar cost, 3 families
for _encoder in TIMM_ENCODERS:
    MODEL_ARGS[_encoder] = ["model.name=unet", f"model.encoder={_encoder}", "model.up=bilinear"]
    MODEL_ARGS[f"smp_unet_{_encoder}"] = [f"model.name=smp_unet_{_encoder}"]


def steps_per_second(config) -> float:
    """Training steps per second of the config's model at its batch and patch size (warm)."""
    device = resolve_device(config.train.device)
    precision = choose_precision(config.train.precision, device).precision
    fmt = memory_format(precision, device)
    samples = load_samples(find_samples(config.data, "train")[:8], config.data)
    dataset = PatchDataset(samples, config.data.patch_size, 64, compute_normalization(samples))
    loader = torch.utils.data.DataLoader(dataset, batch_size=config.train.batch_size)
    model = model_for_config(config).to(device, memory_format=fmt)
    step = TrainStep(model, build_optimizer(model.parameters(), config.train), build_loss(config.train.loss),
                     device, precision, fmt)
    batches = list(loader)
    for images, labels in batches[:2]:
        step(images, labels)
    started = time.perf_counter()
    for images, labels in batches[2:8]:
        step(images, labels)
    return 6 / (time.perf_counter() - started)


def fitted_schedule(config, steps: float, min_epochs: int = MIN_EPOCHS) -> tuple[int, int]:
    """(epochs, patches per epoch) that fill `steps` training steps: the config's epoch length when
    that gives at least `min_epochs` epochs, else shorter epochs, so that a slow model still gets
    several validations to choose best.pt from and no model leaves part of its budget unused
    (whole epochs of the config's length would round a 1.9-epoch budget down to 1)."""
    batch = config.train.batch_size
    per_epoch = config.data.patches_per_epoch // batch
    if steps >= min_epochs * per_epoch:
        return max(1, math.floor(steps / per_epoch)), per_epoch * batch
    return min_epochs, max(1, math.floor(steps / min_epochs)) * batch


def train_and_test(overrides: list[str], minutes: float, run: Path, root: str) -> tuple:
    """Train configs/rock_voc.yaml + overrides for `minutes` (cosine fitted to the model's speed) into
    `run` (reused when finished, resumed when broken off), score best.pt on test.txt and print it.
    Returns (config, test metrics, history records)."""
    config = load_config(CONFIG, overrides)
    epochs, patches = fitted_schedule(config, minutes * 60 * steps_per_second(config) * 0.95)
    config = load_config(CONFIG, [*overrides, f"train.epochs={epochs}", f"data.patches_per_epoch={patches}",
                                  f"train.max_minutes={minutes}", "train.val_every=1"])
    if not (run / "metrics.json").is_file():
        train(config, run, resume=(run / "last.pt").is_file())
    test = evaluate_checkpoint(run / "best.pt", "test", overrides=[f"data.root={root}"], json_path=run / "test.json")
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    print(run.name, json.dumps({k: v for k, v in test.items() if not isinstance(v, dict)}), flush=True)
    return config, test, history


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--models", default=",".join(MODEL_ARGS))
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "rock_voc"))
    parser.add_argument("--out", default="runs/rock_voc_bench")
    parser.add_argument("--no-append", action="store_true")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    if "smp_unet_resnet34" not in MODELS:
        register_model(SmpUnetResNet34, name="smp_unet_resnet34")
        for encoder in TIMM_ENCODERS:
            register_model(smp_unet_on(encoder), name=f"smp_unet_{encoder}")
    rows = {}
    for name in args.models.split(","):
        # a row is a model name, or a label whose arguments set model.name (later overrides win)
        overrides = [f"data.root={args.root}", f"model.name={name}", *MODEL_ARGS[name], "train.progress=false",
                     *args.overrides]
        config, test, history = train_and_test(overrides, args.minutes, Path(args.out) / name, args.root)
        params = sum(p.numel() for p in model_for_config(config).parameters()) / 1e6
        rows[name] = (test, params, history[-1]["epoch"], history[-1]["train_seconds"],
                      history[-1]["step"] * config.train.batch_size / history[-1]["train_seconds"])
    classes = list(next(iter(rows.values()))[0]["iou_per_class"])
    lines = [(f"configs/rock_voc.yaml, from scratch, {args.minutes:g} min of training each (cosine fitted to "
              f"the budget), best.pt on val.txt by mIoU, scored on test.txt (26 images)\n"),
             "| model | Mparam | epochs | train s | train img/s | mIoU | mPA | pixel acc | "
             + " | ".join(f"IoU {c}" for c in classes) + " |", "|---|---|---|---|---|---|---|---|" + "---|" * len(classes)]
    for name, (test, params, epochs, seconds, rate) in rows.items():
        lines.append(f"| {name} | {params:.1f} | {epochs} | {seconds:.0f} | {rate:.1f} | {test['miou']:.4f} | "
                     f"{test['mean_accuracy']:.4f} | {test['pixel_accuracy']:.4f} | "
                     + " | ".join(f"{test['iou_per_class'][c]:.4f}" for c in classes) + " |")
    append_report("rock_voc: unetkit's models beside smp's Unet-ResNet34 (issue 10)", lines,
                  append=not args.no_append)


if __name__ == "__main__":
    main()
