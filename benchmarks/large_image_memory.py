"""Peak memory and time of tiled prediction on one very large synthetic image (issue 3).

Usage: .venv/bin/python benchmarks/large_image_memory.py --checkpoint runs/drive/best.pt [--size 8000]
       [--tile 512] [--batch 4]
Prints a table row and appends it to docs/benchmarks.md. Peak memory is the process's max RSS,
which includes the image (size^2 x 3 bytes), the probability accumulators and the tile batch.
"""
from __future__ import annotations

import argparse
import platform
import resource
import time
from datetime import date
from pathlib import Path

import numpy as np

from unetkit import Predictor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--size", type=int, default=8000)
    parser.add_argument("--tile", type=int, default=512)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    predictor = Predictor.from_checkpoint(args.checkpoint, tile=args.tile, batch=args.batch)
    rng = np.random.default_rng(0)
    # a tiled texture, cheap to make, so the image itself is the only large input allocation
    patch = rng.integers(0, 255, (500, 500, predictor.in_channels), dtype=np.uint8)
    image = np.tile(patch, (args.size // 500 + 1, args.size // 500 + 1, 1))[:args.size, :args.size].copy()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    prediction = predictor.predict(image)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert prediction.labels.shape == image.shape[:2]
    row = (f"| {args.size}x{args.size} | {args.tile} | {args.batch} | {predictor.precision} | "
           f"{seconds:.0f} s | {before:.0f} MB | {peak:.0f} MB |")
    print("| image | tile | batch | precision | time | RSS before predict | peak RSS |")
    print(row)
    if not args.no_append:
        with open(Path(__file__).parents[1] / "docs" / "benchmarks.md", "a") as file:
            file.write(f"\n<!-- large_image_memory.py {date.today()} on {platform.node()} -->\n{row}\n")


if __name__ == "__main__":
    main()
