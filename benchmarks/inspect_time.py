"""Issue 12: `unetkit inspect` on 1,000 images of 512x512 (the issue asks for under 10 s on this CPU).

Writes a folder dataset once (train/ 900 + test/ 100 images, grey noise with 4-class masks, PNG),
then times the whole command (a fresh process: imports, layout detection, fingerprint, plan) and
the fingerprint alone, each the best of --repeat runs.

Usage: python benchmarks/inspect_time.py [--images 1000] [--size 512] [--out runs/inspect_bench] [--no-append]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _report import append_report
from PIL import Image

from unetkit.config import DataConfig
from unetkit.data.fingerprint import fingerprint_dataset


def write_dataset(root: Path, images: int, size: int) -> None:
    rng = np.random.default_rng(0)
    for index in range(images):
        split = "test" if index >= images * 0.9 else "train"
        image_path = root / split / "images" / f"{index:04d}.png"
        if image_path.is_file():
            continue
        image_path.parent.mkdir(parents=True, exist_ok=True)
        (root / split / "masks").mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (size, size), dtype=np.uint8)).save(image_path)
        mask = (np.add.outer(np.arange(size), np.arange(size)) // (size // 2) + index) % 4
        Image.fromarray(mask.astype(np.uint8)).save(root / split / "masks" / f"{index:04d}.png")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default="runs/inspect_bench")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    root = Path(args.out) / f"folder_{args.images}x{args.size}"
    write_dataset(root, args.images, args.size)
    command = [sys.executable, "-m", "unetkit", "inspect", str(root), "--json"]
    whole = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        whole.append(time.perf_counter() - started)
    alone = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        fingerprint = fingerprint_dataset(DataConfig(format="folder", root=str(root), mask="index", num_classes=4))
        alone.append(time.perf_counter() - started)
    lines = [f"{args.images} grey PNG images of {args.size}x{args.size} with 4-class masks (train/ + test/, no val/):",
             (f"`unetkit inspect DIR --json`, whole command in a fresh process: best {min(whole):.2f} s "
             f"(runs: {', '.join(f'{s:.2f}' for s in whole)}); the fingerprint alone: best {min(alone):.2f} s. "
             f"It decoded {fingerprint.images_decoded} images and {fingerprint.masks_decoded} masks and opened "
             f"every header; class shares found: {fingerprint.masks.class_fractions}.")]
    append_report("unetkit inspect on 1,000 images (issue 12)", lines, append=not args.no_append)


if __name__ == "__main__":
    main()
