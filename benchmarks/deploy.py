"""Issue 14: a DRIVE checkpoint exported to ONNX (fp32 and int8), predicted through `unetkit predict`
(--checkpoint vs --model) and timed side by side.

F1: the CLI writes label PNGs for the 20 DRIVE test images (FOV as --roi) per backend; each folder is
scored against the 1st manual inside the FOV (drive_tiled_predict.score). Speed: images/s of
Predictor.predict on the test images (584x565), backends interleaved, best of --rounds rounds.
The int8 model is calibrated on the 20 training images (and scored on their masks by the export).

Usage: python benchmarks/deploy.py --checkpoint runs/drive-thin/last.pt [--drive ../shared/data/drive]
       [--out runs/deploy-bench] [--rounds 3] [--no-append]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from _report import append_report
from drive_tiled_predict import score

from unetkit.apps.export import export_checkpoint, quantize_export
from unetkit.cli import main as unetkit
from unetkit.data.io import read_image
from unetkit.infer import Predictor


def images_per_second(predictor: Predictor, images) -> float:
    started = time.perf_counter()
    for image in images:
        predictor.predict(image)
    return len(images) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--drive", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "drive"))
    parser.add_argument("--out", default="runs/deploy-bench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--speed-images", type=int, default=5)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    drive, out = Path(args.drive), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fp32 = export_checkpoint(args.checkpoint, "onnx", out / "model.onnx")
    int8 = quantize_export(args.checkpoint, drive / "training/images", out / "model_int8.onnx",
                           drive / "training/1st_manual")
    sources = {"PyTorch (checkpoint)": ["--checkpoint", args.checkpoint],
               "ONNX Runtime fp32": ["--model", str(fp32["path"])],
               "ONNX Runtime int8": ["--model", str(int8["int8_path"])]}
    f1 = {}
    for name, source in sources.items():
        folder = out / name.split()[0].lower() / ("int8" if "int8" in name else "fp32")
        if len(list(folder.glob("*_test.png"))) < 20:   # predictions of an earlier run are reused
            unetkit(["predict", *source, str(drive / "test/images"), "--out", str(folder), "--roi", str(drive / "test/mask")])
        f1[name] = score(folder, drive)[0]
    # speed without TTA (one forward pass per image, whatever the checkpoint's settings)
    predictors = {"PyTorch (checkpoint)": Predictor.from_checkpoint(args.checkpoint, tta=False),
                  "PyTorch bf16 autocast": Predictor.from_checkpoint(args.checkpoint, precision="bf16", tta=False),
                  "ONNX Runtime fp32": Predictor.from_onnx(fp32["path"], tta=False),
                  "ONNX Runtime int8": Predictor.from_onnx(int8["int8_path"], tta=False)}
    images = [read_image(path, 3) for path in sorted((drive / "test/images").iterdir())][:args.speed_images]
    speeds = {name: 0.0 for name in predictors}
    for _ in range(args.rounds):
        for name, predictor in predictors.items():
            predictor.predict(images[0])   # warm
            speeds[name] = max(speeds[name], images_per_second(predictor, images))
    base = speeds["PyTorch (checkpoint)"]
    lines = [(f"`{args.checkpoint}` on the 20 DRIVE test images (584x565, inside the FOV, 1st manual). F1 from the "
              f"label PNGs `unetkit predict` writes per backend (with the checkpoint's inference settings); images/s "
              f"of Predictor.predict without TTA on {len(images)} images, best of {args.rounds} interleaved rounds. "
              f"PyTorch's default precision here: {predictors['PyTorch (checkpoint)'].precision}. "
              f"Export parity (fp32): max |difference| {fp32['max_difference']:.1e}; int8 on the calibration images: "
              f"F1 {int8['accuracy']['int8']:.4f} vs fp32 {int8['accuracy']['fp32']:.4f}.\n"),
             "| backend | test F1 | F1 - checkpoint | images/s | x PyTorch |", "|---|---|---|---|---|"]
    for name, speed in speeds.items():
        score_text = f"{f1[name]:.4f} | {f1[name] - f1['PyTorch (checkpoint)']:+.4f}" if name in f1 else "- | -"
        lines.append(f"| {name} | {score_text} | {speed:.2f} | {speed / base:.2f} |")
    append_report("DRIVE through the exported model: ONNX Runtime fp32 / int8 beside PyTorch (issue 14)", lines,
                  append=not args.no_append)


if __name__ == "__main__":
    main()
