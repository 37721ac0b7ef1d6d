"""Tiled inference over the 20 DRIVE test images: unetkit vs MONAI's sliding_window_inference (issue 5d).

Same network (a checkpoint's), same tile size, overlap and Gaussian blending (sigma = tile / 8),
same precision; the images are normalised the same way for both. unetkit runs
as `unetkit predict` does (Predictor.from_checkpoint: BatchNorm folded, bf16 weights); MONAI gets
the checkpoint's model as a user would pass it. A third row gives MONAI unetkit's optimized copy
of the network, which isolates the tiling engines. With --grid flush (default) unetkit places tiles
exactly as MONAI does, so the outputs can be compared pixel by pixel. unetkit uses its default
tile batch (auto: 1 on a CPU) unless --unetkit-batch is given; MONAI runs at --batch (sw_batch_size,
4 as in MONAI's tutorials) and, in a last row, at unetkit's batch.

Usage: python benchmarks/tiled_vs_monai.py --checkpoint runs/drive/best.pt [--drive ../shared/data/drive]
       [--tile 256] [--overlap 0.25] [--batch 4] [--unetkit-batch 0] [--repeats 3] [--grid flush] [--no-append]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from _report import append_report

from unetkit import Predictor
from unetkit.data.io import read_image
from unetkit.losses import class_probabilities
from unetkit.runtime import autocast


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--drive", default="../shared/data/drive")
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--overlap", type=float, default=0.25)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--unetkit-batch", type=int, default=0, help="infer.batch; 0 = unetkit's auto")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--grid", default="flush", choices=("flush", "aligned"))
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    from monai.inferers import sliding_window_inference
    predictor = Predictor.from_checkpoint(args.checkpoint, tile=args.tile, overlap=args.overlap,
                                          batch=args.unetkit_batch, grid=args.grid)
    images = [read_image(p, predictor.in_channels)
              for p in sorted((Path(args.drive) / "test" / "images").iterdir())]
    device, precision = predictor.device, predictor.precision

    def monai_with(model, batch_size):
        dtype = next(model.parameters()).dtype

        def forward(batch):
            with torch.no_grad(), autocast(device, precision):
                return class_probabilities(model(batch.to(dtype).contiguous(memory_format=torch.channels_last)))

        def run(image):
            tensor = predictor.normalization.apply(image)[None].to(device)
            return sliding_window_inference(tensor, (args.tile, args.tile), batch_size, forward, args.overlap,
                                            mode="gaussian", sigma_scale=0.125)[0].cpu()
        return run

    ours = predictor.tile_batch
    runs = {"unetkit": predictor.probabilities,
            "monai": monai_with(predictor.model, args.batch),
            "monai+optimized": monai_with(predictor.inference_model, args.batch),
            "monai@ours": monai_with(predictor.model, ours)}
    timings, outputs = {}, {}
    for _ in range(args.repeats):  # interleaved, best of the repeats
        for name, run in runs.items():
            started = time.perf_counter()
            outputs[name] = [run(image) for image in images]
            if device.type == "cuda":
                torch.cuda.synchronize()
            timings.setdefault(name, []).append(time.perf_counter() - started)
    best = {name: min(values) for name, values in timings.items()}

    def compare(a, b):
        difference = max(float((x - y).abs().max()) for x, y in zip(outputs[a], outputs[b]))
        agreement = np.mean([float(((x[1] > 0.5) == (y[1] > 0.5)).float().mean())
                             for x, y in zip(outputs[a], outputs[b])])
        return f"max abs difference {difference:.4f}, labels agree on {100 * agreement:.3f}% of pixels"

    def row(name, engine, network, batch):
        speedup = "1.00x" if name == "unetkit" else f"{best[name] / best['unetkit']:.2f}x"
        outputs_note = "-" if name == "unetkit" else compare("unetkit", name)
        return f"| {engine} | {network} | {batch} | {best[name]:.2f} s | {speedup} | {outputs_note} |"

    lines = [(f"{len(images)} images, tile {args.tile}, overlap {args.overlap}, {precision}, unetkit grid {args.grid}; "
             f"best of {args.repeats} interleaved repeats\n"),
             "| engine | network | tiles per pass | time | unetkit speed-up | outputs vs unetkit |",
             "|---|---|---|---|---|---|",
             row("unetkit", "unetkit Predictor", "optimized copy", ours),
             row("monai", "MONAI sliding_window_inference", "checkpoint's model", args.batch),
             row("monai+optimized", "MONAI sliding_window_inference", "unetkit's optimized copy", args.batch),
             row("monai@ours", "MONAI sliding_window_inference", "checkpoint's model", ours)]
    append_report("Tiled inference vs MONAI on DRIVE test (issue 5d)", lines, append=not args.no_append)


if __name__ == "__main__":
    main()
