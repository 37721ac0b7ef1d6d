"""Issue 30: is `unetkit review --unlabeled` a better way to choose what to label than chance?

On rock_voc, for each seed: 50 training images drawn at random are "labelled"; a model is trained on them
(configs/rock_voc.yaml at a fixed budget -- epochs x patches per epoch, not minutes, so the result does not
depend on the machine's load); `unetkit review RUN --unlabeled POOL --no-labels --top 50` ranks the 657
others. Two models are then trained from scratch with the same seed and the same budget, one on the 50 + the
50 that review picked, one on the 50 + 50 drawn at random from the pool, and both are scored on the test
split (`unetkit evaluate --split test`, mIoU). Reported whichever wins: the per-seed figures, mean +- std.

Each dataset is a VOC folder in the scratch directory whose train.txt lists the labelled images (JPEGImages,
SegmentationClass and val/test lists linked to ../shared/data/rock_voc, never copied into the repository).

Usage: python benchmarks/label_next.py [--seeds 0 1 2] [--start 50] [--add 50] [--epochs 6]
       [--out runs/label_next] [--no-append]
"""
from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _report import append_report

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "rock_voc" / "VOC2007"
CONFIG = Path(__file__).resolve().parents[1] / "configs" / "rock_voc.yaml"
UNETKIT = [sys.executable, "-m", "unetkit"]


def voc_subset(root: Path, train: list[str]) -> Path:
    """A VOC2007 folder whose train.txt is `train`; everything else linked to rock_voc's."""
    voc = root / "VOC2007"
    (voc / "ImageSets" / "Segmentation").mkdir(parents=True, exist_ok=True)
    for name in ("JPEGImages", "SegmentationClass"):
        if not (voc / name).exists():
            (voc / name).symlink_to(DATA / name)
    for split in ("val", "test"):
        target = voc / "ImageSets" / "Segmentation" / f"{split}.txt"
        if not target.exists():
            target.symlink_to(DATA / "ImageSets" / "Segmentation" / f"{split}.txt")
    (voc / "ImageSets" / "Segmentation" / "train.txt").write_text("\n".join(train) + "\n")
    return voc


def train_and_score(root: Path, run: Path, seed: int, settings: list[str]) -> float:
    """Train (unless done) and return the test split's mIoU of best.pt."""
    if not (run / "metrics.json").is_file():
        subprocess.run([*UNETKIT, "train", "--config", str(CONFIG), "--out", str(run), f"data.root={root}",
                        f"train.seed={seed}", "train.max_minutes=0", "train.progress=false", *settings],
                       check=True, stdout=subprocess.DEVNULL)
    scores = run / "test_metrics.json"
    if not scores.is_file():
        subprocess.run([*UNETKIT, "evaluate", "--checkpoint", str(run / "best.pt"), "--split", "test", "--json",
                        str(scores)], check=True, stdout=subprocess.DEVNULL)
    return float(json.loads(scores.read_text())["miou"])


def one_seed(seed: int, start: int, add: int, out: Path, settings: list[str]) -> dict[str, float]:
    train = (DATA / "ImageSets" / "Segmentation" / "train.txt").read_text().split()
    generator = np.random.default_rng(seed)
    order = [train[i] for i in generator.permutation(len(train))]
    labelled, pool = sorted(order[:start]), order[start:]
    scores = {"start": train_and_score(voc_subset(out / "start", labelled), out / "start_run", seed, settings)}
    pool_dir = out / "pool"
    pool_dir.mkdir(exist_ok=True)
    for name in pool:
        link = pool_dir / f"{name}.jpg"
        if not link.exists():
            link.symlink_to(DATA / "JPEGImages" / f"{name}.jpg")
    review_out = out / "start_run" / "review"
    if not (review_out / "label_next.csv").is_file():
        began = time.perf_counter()
        subprocess.run([*UNETKIT, "review", str(out / "start_run"), "--unlabeled", str(pool_dir), "--no-labels",
                        "--top", str(add)], check=True, stdout=subprocess.DEVNULL)
        print(f"seed {seed}: review of {len(pool)} unlabelled images took {time.perf_counter() - began:.0f} s")
    picked = [Path(row["image"]).stem for row in csv.DictReader(open(review_out / "label_next.csv"))][:add]
    chance = [pool[i] for i in np.random.default_rng(seed + 1000).choice(len(pool), add, replace=False)]
    for arm, added in (("review", picked), ("random", chance)):
        scores[arm] = train_and_score(voc_subset(out / arm, sorted(labelled + added)), out / f"{arm}_run", seed,
                                      settings)
    print(f"seed {seed}: " + ", ".join(f"{arm} {value:.4f}" for arm, value in scores.items()), flush=True)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--start", type=int, default=50)
    parser.add_argument("--add", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--patches", type=int, default=400)
    parser.add_argument("--base-channels", type=int, default=16)
    parser.add_argument("--out", default="runs/label_next")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    settings = [f"train.epochs={args.epochs}", f"data.patches_per_epoch={args.patches}",
                f"model.base_channels={args.base_channels}"]
    results = {seed: one_seed(seed, args.start, args.add, Path(args.out) / f"seed{seed}", settings)
               for seed in args.seeds}
    arms = ("start", "review", "random")

    def mean_std(arm: str) -> str:
        values = [r[arm] for r in results.values()]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.4f} +- {spread:.4f}"

    lines = [f"rock_voc, {args.start} labelled images drawn at random, then {args.add} more chosen by "
             f"`unetkit review --unlabeled` or at random from the other {707 - args.start}; every model trained "
             f"from scratch with configs/rock_voc.yaml at a fixed budget ({' '.join(settings)}, "
             f"train.seed = the seed), scored on the test split (26 images):", "",
             "| seed | " + " | ".join(f"mIoU {arm}" for arm in arms) + " | review - random |",
             "|---|---|---|---|---|"]
    lines += [f"| {seed} | " + " | ".join(f"{r[arm]:.4f}" for arm in arms) + f" | {r['review'] - r['random']:+.4f} |"
              for seed, r in results.items()]
    lines.append("| mean +- std | " + " | ".join(mean_std(arm) for arm in arms) + " | "
                 + f"{statistics.mean(r['review'] - r['random'] for r in results.values()):+.4f} |")
    append_report("What to label next: review --unlabeled vs chance on rock_voc (issue 30)", lines,
                  append=not args.no_append)


if __name__ == "__main__":
    main()
