"""`unetkit predict` on the DRIVE test images, whole-image vs tiled: F1 of the written label PNGs (issue 3).

Usage: python benchmarks/drive_tiled_predict.py --checkpoint runs/drive/best.pt [--drive ../shared/data/drive]
       [--tile 256] [--out runs/drive-predict]
Runs the CLI twice (infer.tile=0 and infer.tile=N), then scores each folder of PNGs against the 1st
manual inside the FOV, and reports the pixel agreement of the two sets of PNGs.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from unetkit.cli import main as unetkit
from unetkit.metrics import SegmentationMetrics


def score(folder: Path, drive: Path) -> tuple[float, dict[str, np.ndarray]]:
    metrics = SegmentationMetrics(2)
    labels = {}
    for png in sorted(folder.glob("*_test.png")):
        number = png.stem.split("_")[0]
        predicted = (np.asarray(Image.open(png)) > 127).astype(np.int64)
        truth = (np.asarray(Image.open(drive / "test/1st_manual" / f"{number}_manual1.gif")) > 127).astype(np.int64)
        fov = np.asarray(Image.open(drive / "test/mask" / f"{number}_test_mask.gif").convert("L")) > 127
        truth[~fov] = 255
        metrics.update(torch.from_numpy(np.stack([1 - predicted, predicted])).float(), torch.from_numpy(truth))
        labels[png.stem] = np.where(fov, predicted, 0)
    return metrics.compute()["f1"], labels


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--drive", default="../shared/data/drive")
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--out", default="runs/drive-predict")
    args = parser.parse_args()
    drive, out = Path(args.drive), Path(args.out)
    results = {}
    for tile in (0, args.tile):
        folder = out / f"tile{tile}"
        started = time.perf_counter()
        unetkit(["predict", "--checkpoint", args.checkpoint, str(drive / "test/images"), "--out", str(folder),
                 "--roi", str(drive / "test/mask"), f"infer.tile={tile}"])
        results[tile] = (*score(folder, drive), time.perf_counter() - started)
    (f1_whole, whole, t_whole), (f1_tiled, tiled, t_tiled) = results[0], results[args.tile]
    agreement = np.mean([(whole[k] == tiled[k]).mean() for k in whole])
    print(f"| whole image | {f1_whole:.4f} | {t_whole:.1f} s |")
    print(f"| tiles of {args.tile} | {f1_tiled:.4f} | {t_tiled:.1f} s |")
    print(f"F1 difference {abs(f1_whole - f1_tiled):.4f}; label PNGs agree on {100 * agreement:.3f}% of pixels")


if __name__ == "__main__":
    main()
