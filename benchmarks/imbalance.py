"""Issue 13: losses, class weights and foreground oversampling for small classes, on rock_voc.

Every variant trains the same network (configs/rock_voc.yaml at the width given, default 16: the
best CPU model in the issue-10 table) from scratch through unetkit's trainer for the same wall-clock
budget, the cosine schedule fitted to each variant's own speed (rock_voc_models.fitted_schedule);
best.pt is chosen on val.txt by mIoU and scored on test.txt. The rarest class is the one with the
fewest pixels in the training masks.

Usage: python benchmarks/imbalance.py [--minutes 10] [--variants ce,ce_lovasz,...] [--out DIR]
       [--root ../shared/data/rock_voc] [--no-append] [key=value ...]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from _report import append_report
from rock_voc_models import CONFIG, train_and_test

from unetkit.config import load_config
from unetkit.data import class_pixel_counts, find_samples, load_samples

VARIANTS = {
    "ce": ["train.loss=ce"],
    "ce_dice": ["train.loss=ce_dice"],
    "ce_lovasz": ["train.loss=ce+lovasz"],
    "ce_dice_weights_oversample": ["train.loss=ce_dice", "train.class_weights=auto",
                                   "train.class_weight_method=inverse_sqrt", "data.foreground_fraction=0.33"],
    "ce_lovasz_oversample": ["train.loss=ce+lovasz", "data.foreground_fraction=0.33"],
    "ce_tversky_weights": ["train.loss=ce+tversky", "train.class_weights=auto",
                           "train.class_weight_method=inverse_sqrt"],
    "focal_dice": ["train.loss=focal+dice"],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "rock_voc"))
    parser.add_argument("--out", default="runs/imbalance_bench")
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--no-append", action="store_true")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    rows = {}
    for name in args.variants.split(","):
        overrides = [f"data.root={args.root}", f"model.base_channels={args.width}", "train.progress=false",
                     *VARIANTS[name], *args.overrides]
        _, test, history = train_and_test(overrides, args.minutes, Path(args.out) / name, args.root)
        rows[name] = (test, history[-1]["epoch"], history[-1]["train_seconds"], " ".join(VARIANTS[name]))
    config = load_config(CONFIG, [f"data.root={args.root}"])
    counts = class_pixel_counts(load_samples(find_samples(config.data, "train"), config.data), config.data.num_classes)
    shares = counts / counts.sum()
    classes = list(next(iter(rows.values()))[0]["iou_per_class"])
    rarest = classes[int(shares.argmin())]
    lines = [(f"configs/rock_voc.yaml with model.base_channels={args.width}, from scratch, {args.minutes:g} min of "
              f"training each (cosine fitted to the budget), best.pt on val.txt by mIoU, scored on test.txt "
              f"(26 images). Class shares of the training pixels: "
              + ", ".join(f"{c} {s:.1%}" for c, s in zip(classes, shares)) + f"; rarest: {rarest}.\n"),
             "| variant | overrides | epochs | train s | mIoU | mPA | " + " | ".join(f"IoU {c}" for c in classes) + " |",
             "|---|---|---|---|---|---|" + "---|" * len(classes)]
    for name, (test, epochs, seconds, overrides) in rows.items():
        lines.append(f"| {name} | `{overrides}` | {epochs} | {seconds:.0f} | {test['miou']:.4f} | "
                     f"{test['mean_accuracy']:.4f} | "
                     + " | ".join(f"{test['iou_per_class'][c]:.4f}" for c in classes) + " |")
    append_report("rock_voc: losses, class weights and oversampling for the rare class (issue 13)", lines,
                  append=not args.no_append)


if __name__ == "__main__":
    main()
