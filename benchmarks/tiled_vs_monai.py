"""Tiled inference over the 20 DRIVE test images: unetkit vs MONAI's sliding_window_inference (issue 5d).

Same network (a checkpoint's), same tile size, overlap and Gaussian blending (sigma = tile / 8), same
precision; the images are normalised the same way for both. Reports the wall time of each and how
far the probability maps differ.

Usage: python benchmarks/tiled_vs_monai.py --checkpoint runs/drive/best.pt [--drive ../shared/data/drive]
       [--tile 256] [--overlap 0.25] [--batch 4] [--repeats 2]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from unetkit import Predictor
from unetkit.data.io import read_image
from unetkit.runtime import autocast
from unetkit.losses import class_probabilities


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--drive", default="../shared/data/drive")
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--overlap", type=float, default=0.25)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    from monai.inferers import sliding_window_inference
    predictor = Predictor.from_checkpoint(args.checkpoint, overrides=[
        f"infer.tile={args.tile}", f"infer.overlap={args.overlap}", f"infer.batch={args.batch}"])
    images = [read_image(p, predictor.config.data.channels) for p in sorted((Path(args.drive) / "test/images").iterdir())]

    def monai_forward(batch):
        with torch.no_grad(), autocast(predictor.device, predictor.precision):
            return class_probabilities(predictor.model(batch.contiguous(memory_format=torch.channels_last)))

    def run_monai(image):
        tensor = predictor.normalization.apply(image)[None]
        return sliding_window_inference(tensor, (args.tile, args.tile), args.batch, monai_forward, args.overlap,
                                        mode="gaussian", sigma_scale=0.125)[0]

    def run_unetkit(image):
        return predictor.probabilities(image)

    timings, outputs = {}, {}
    for name, run in (("unetkit", run_unetkit), ("monai", run_monai)) * args.repeats:
        started = time.perf_counter()
        outputs[name] = [run(image) for image in images]
        timings.setdefault(name, []).append(time.perf_counter() - started)
    difference = max(float((a - b).abs().max()) for a, b in zip(outputs["unetkit"], outputs["monai"]))
    agreement = np.mean([float(((a[1] > 0.5) == (b[1] > 0.5)).float().mean())
                         for a, b in zip(outputs["unetkit"], outputs["monai"])])
    best = {name: min(values) for name, values in timings.items()}
    print(f"| unetkit | {best['unetkit']:.2f} s | {best['monai'] / best['unetkit']:.2f}x |")
    print(f"| MONAI sliding_window_inference | {best['monai']:.2f} s | 1.00x |")
    print(f"max |p_unetkit - p_monai| = {difference:.4f}; labels agree on {100 * agreement:.3f}% of pixels "
          f"(tile {args.tile}, overlap {args.overlap}, batch {args.batch}, {predictor.precision})")


if __name__ == "__main__":
    main()
