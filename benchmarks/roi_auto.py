"""Issue 31: `--roi auto` on DRIVE's 20 test images. The derived field of view against the official FOV
masks (IoU), and the foreground a DRIVE model predicts outside the official masks with no ROI given
and with `--roi auto`.

Usage: python benchmarks/roi_auto.py --checkpoint RUN/best.pt [--no-append]
(any model trained on DRIVE with its FOV masks: e.g. `unetkit train data.root=<DRIVE as a folder>`)
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from _report import append_report
from PIL import Image

from unetkit import Predictor
from unetkit.infer.roi import field_of_view

DRIVE = Path(__file__).resolve().parents[2] / "shared" / "data" / "drive" / "test"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    predictor = Predictor.from_checkpoint(args.checkpoint, device="cpu")
    rows, totals = [], {"none": 0, "auto": 0}
    for image_path, mask_path in zip(sorted((DRIVE / "images").iterdir()), sorted((DRIVE / "mask").iterdir())):
        image = np.array(Image.open(image_path).convert("RGB"))
        official = np.array(Image.open(mask_path).convert("L")) > 0
        derived = field_of_view(image)
        iou = (derived & official).sum() / (derived | official).sum()
        outside = {}
        for name, roi in (("none", None), ("auto", "auto")):
            labels = predictor.predict(image, roi=roi).labels
            outside[name] = int(((labels > 0) & ~official).sum())
            totals[name] += outside[name]
        rows.append(f"| {image_path.stem} | {iou:.4f} | {int((derived & ~official).sum())} | {outside['none']} | "
                    f"{outside['auto']} |")
    ious = [float(row.split("|")[2]) for row in rows]
    lines = [f"`{args.checkpoint}` on DRIVE's 20 test images, predicted whole (no ROI) and with `--roi auto`:", "",
             "| image | FOV IoU (auto vs official) | auto FOV pixels outside the official | foreground outside the "
             "official FOV, no ROI | ... with --roi auto |", "|---|---|---|---|---|", *rows,
             f"| all | min {min(ious):.4f}, mean {np.mean(ious):.4f} | | {totals['none']} | {totals['auto']} |"]
    append_report("--roi auto on DRIVE's test images (issue 31)", lines, append=not args.no_append)


if __name__ == "__main__":
    main()
