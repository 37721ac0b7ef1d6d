"""Issue 30: does `unetkit review` find corrupted masks? A copy of a dataset's training masks (in a
scratch folder, never the repository) with a few masks corrupted on purpose, trained with the automatic
plan (no config), then `unetkit review` over the training images: where do the corrupted ones rank?

- drive: 4 of the 20 training masks -- a third of the vessels erased in two (every vessel pixel in the
  image's left third), a false blob painted in two (a filled disc of radius 40 inside the field of view).
- rock_voc: 5 of the 707 training masks -- a disc of radius 40 painted with another phase in three,
  one phase relabelled as another in two.

Also prints the ECE of best.pt on the test split (the temperature stored by train.calibrate applied)
and metrics.json's calibration figures (validation ECE before and after the temperature).

Usage: python benchmarks/review_corrupted.py --dataset drive|rock_voc [--minutes 10] [--folds K]
       [--out runs/review_bench] [--no-append]
"""
from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from _report import append_report
from PIL import Image

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _disc(shape, centre, radius) -> np.ndarray:
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    return (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 < radius ** 2


def drive_copy(target: Path) -> tuple[Path, list[str]]:
    """DRIVE as a plain folder (train/ and test/ with images/ masks/ roi/); training masks copied so that
    four can be corrupted, everything else symlinked. Returns the root and the corrupted images' names."""
    for split, source in (("train", "training"), ("test", "test")):
        for folder, published in (("images", "images"), ("masks", "1st_manual"), ("roi", "mask")):
            (target / split / folder).mkdir(parents=True, exist_ok=True)
            for file in sorted((DATA / "drive" / source / published).iterdir()):
                link = target / split / folder / file.name
                if link.exists() or link.is_symlink():
                    continue
                if split == "train" and folder == "masks":
                    shutil.copy(file, link)
                else:
                    link.symlink_to(file.resolve())
    masks = sorted((target / "train" / "masks").iterdir())
    rois = sorted((target / "train" / "roi").iterdir())
    generator = np.random.default_rng(30)
    chosen = generator.choice(len(masks), 4, replace=False)
    corrupted = []
    for kind, index in zip(("erase", "erase", "paint", "paint"), chosen):
        mask = np.array(Image.open(masks[index]).convert("L"))
        if kind == "erase":
            mask[:, : mask.shape[1] // 3] = 0
        else:
            roi = np.array(Image.open(rois[index]).convert("L")) > 0
            inside = np.argwhere(roi & ~_disc(mask.shape, (mask.shape[0] // 2, mask.shape[1] // 2), 60))
            centre = inside[generator.integers(len(inside))]
            mask[_disc(mask.shape, centre, 40) & roi] = 255
        Image.fromarray(mask).save(masks[index].with_suffix(".png"))
        masks[index].unlink()                       # same stem, now a PNG
        corrupted.append(masks[index].stem.replace("_manual1", "_training"))
    return target, corrupted


def rock_voc_copy(target: Path) -> tuple[Path, list[str]]:
    """rock_voc's VOC2007 with SegmentationClass copied (five training masks corrupted), the rest linked."""
    source = DATA / "rock_voc" / "VOC2007"
    root = target / "VOC2007"
    if not root.exists():
        root.mkdir(parents=True)
        for name in ("ImageSets", "JPEGImages"):
            (root / name).symlink_to((source / name).resolve())
        shutil.copytree(source / "SegmentationClass", root / "SegmentationClass")
    train = (source / "ImageSets" / "Segmentation" / "train.txt").read_text().split()
    generator = np.random.default_rng(30)
    chosen = [train[i] for i in generator.choice(len(train), 5, replace=False)]
    for kind, name in zip(("paint", "paint", "paint", "relabel", "relabel"), chosen):
        path = root / "SegmentationClass" / f"{name}.png"
        image = Image.open(path)
        mask = np.array(image)
        present = [int(c) for c in np.unique(mask) if c < 4]
        if kind == "paint":
            centre = generator.integers(40, mask.shape[0] - 40, 2)
            area = _disc(mask.shape, centre, 40)
            majority = int(np.bincount(mask[area][mask[area] < 4], minlength=4).argmax())
            mask[area] = (majority + 1 + generator.integers(3)) % 4     # another phase than the one there
        else:
            counts = np.bincount(mask[mask < 4].ravel(), minlength=4)
            source_class = int(np.argsort(counts)[-2]) if len(present) > 1 else present[0]   # the 2nd largest phase
            mask[mask == source_class] = (source_class + 1) % 4
        out = Image.fromarray(mask)
        if image.mode == "P":
            out = out.convert("P")
            out.putpalette(image.getpalette())
        out.save(path)
    return root, chosen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", choices=["drive", "rock_voc"], required=True)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--folds", type=int, default=0)
    parser.add_argument("--out", default="runs/review_bench")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    out = Path(args.out) / args.dataset
    named = out / "corrupted.json"   # the copy is corrupted once: a second run reads which masks it corrupted
    if named.is_file():
        root, corrupted = Path(json.loads(named.read_text())["root"]), json.loads(named.read_text())["corrupted"]
    else:
        root, corrupted = (drive_copy if args.dataset == "drive" else rock_voc_copy)(out / "data")
        named.write_text(json.dumps({"root": str(root), "corrupted": corrupted}))
    run = out / ("run" if not args.folds else f"folds{args.folds}")
    unetkit = [sys.executable, "-m", "unetkit"]
    if not (run / ("folds.json" if args.folds else "metrics.json")).is_file():
        subprocess.run([*unetkit, "train", "--out", str(run), *(["--folds", str(args.folds)] if args.folds else []),
                        f"data.root={root}", f"train.max_minutes={args.minutes}", "train.progress=false"], check=True)
    subprocess.run([*unetkit, "review", str(run), "--top", "10"], check=True)
    rows = list(csv.DictReader(open(run / "review" / "suspects.csv")))
    ranks = {row["image"]: int(row["rank"]) for row in rows}
    found = {name: ranks.get(name) for name in corrupted}
    lines = [f"{args.dataset}: {len(corrupted)} of {len(rows)} training masks corrupted; trained by the plan "
             f"({args.minutes:g} min{', ' + str(args.folds) + ' folds' if args.folds else ''}); ranks in "
             f"`unetkit review`:", "", "| corrupted image | rank |", "|---|---|"]
    lines += [f"| {name} | {rank} |" for name, rank in found.items()]
    top = 5 if args.dataset == "drive" else 10
    lines.append(f"\n{sum(1 for r in found.values() if r and r <= top)} of {len(corrupted)} in the top {top}.")
    if not args.folds:
        calibration = json.loads((run / "metrics.json").read_text()).get("calibration", {})
        split = "test"
        scores = run / f"{split}_metrics.json"
        subprocess.run([*unetkit, "evaluate", "--checkpoint", str(run / "best.pt"), "--split", split, "--json",
                        str(scores)], check=True, stdout=subprocess.DEVNULL)
        after = json.loads(scores.read_text())["ece"]
        subprocess.run([*unetkit, "evaluate", "--checkpoint", str(run / "best.pt"), "--split", split, "--json",
                        str(scores), "infer.temperature=1"], check=True, stdout=subprocess.DEVNULL)
        before = json.loads(scores.read_text())["ece"]
        lines.append(f"\nCalibration: temperature {calibration.get('temperature', float('nan')):.3f}; validation ECE "
                     f"{calibration.get('ece_before', float('nan')):.4f} -> {calibration.get('ece_after', float('nan')):.4f}; "
                     f"test ECE {before:.4f} -> {after:.4f} (infer.temperature=1 vs the stored temperature)")
    append_report(f"unetkit review on corrupted {args.dataset} masks (issue 30)", lines, append=not args.no_append)


if __name__ == "__main__":
    main()
