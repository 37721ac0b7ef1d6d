"""Issue 11: time of one Grad-CAM map of an image (584x565 DRIVE by default) on this machine, beside
pytorch-grad-cam used directly on the same network and input (its GradCAM + SemanticSegmentationTarget,
as its segmentation tutorial does it).

Usage: python benchmarks/cam_time.py --checkpoint runs/drive-fast/best.pt
       [--image ../shared/data/drive/test/images/01_test.tif] [--layer dec1] [--reps 5] [--no-append]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from _report import append_report

from unetkit.apps.cam import load_explainer
from unetkit.data.io import read_image
from unetkit.infer.padding import pad_for_model

DRIVE_IMAGE = Path(__file__).resolve().parents[2] / "shared" / "data" / "drive" / "test" / "images" / "01_test.tif"


def best_of(function, reps: int) -> float:
    function()  # warm: allocator, oneDNN kernel choice, grad-cam's import
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--image", default=str(DRIVE_IMAGE))
    parser.add_argument("--layer", default="dec1")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    explainer, _ = load_explainer(args.checkpoint, device="cpu", faithfulness=False)
    scored, _ = load_explainer(args.checkpoint, device="cpu", faithfulness=True)
    image = read_image(args.image, explainer.model.in_channels)
    layer = explainer.layers.resolve([args.layer])
    sweep = explainer.layers.convs()
    scored_layer = scored.layers.resolve([args.layer])
    rows = {
        f"unetkit, one map ({args.layer})": best_of(lambda: explainer.explain(image, [1], layer), args.reps),
        "unetkit, one map + faithfulness": best_of(lambda: scored.explain(image, [1], scored_layer), args.reps),
        f"unetkit, sweep of {len(sweep)} convs, one pass": best_of(lambda: explainer.explain(image, [1], sweep), 1),
    }

    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import SemanticSegmentationTarget
    model = explainer.model
    tensor = explainer.predictor.normalization.apply(image)[None]
    padded, plan = pad_for_model(model, tensor)
    with torch.no_grad():
        labels = model(padded).argmax(1)[0].numpy()
    target = [SemanticSegmentationTarget(1, (labels == 1).astype(np.float32))]

    def peer() -> None:
        with GradCAM(model=model, target_layers=[layer[0].module]) as cam:
            cam(input_tensor=padded, targets=target)
    rows["pytorch-grad-cam GradCAM, one map (same layer, padded input)"] = best_of(peer, args.reps)

    height, width = image.shape[:2]
    lines = [f"One Grad-CAM map of class 1 on a {width}x{height} image ({Path(args.image).name}), "
             f"{args.checkpoint}, fp32, best of {args.reps}\n",
             "| what | seconds |", "|---|---|"]
    lines += [f"| {name} | {seconds:.2f} |" for name, seconds in rows.items()]
    append_report("Grad-CAM time (issue 11)", lines, append=not args.no_append)


if __name__ == "__main__":
    main()
