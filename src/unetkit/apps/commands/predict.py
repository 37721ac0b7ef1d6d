"""`unetkit predict`: images, folders and videos segmented by a checkpoint, an ensemble or an ONNX model."""
from __future__ import annotations

import argparse
import sys

from .argument_types import device, opacity, positive_int

HELP = "segment images, folders of images or videos"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", action="append", help="a unetkit checkpoint (.pt, .safetensors); repeat it "
                        "(or give a --folds run directory) to average the models' probabilities")
    source.add_argument("--model", help="an exported model (.onnx from unetkit export), run by ONNX Runtime")
    parser.add_argument("inputs", nargs="+", metavar="IMAGE_DIR_VIDEO_or_key=value",
                        help="files, folders (recursive), videos, and infer.* overrides such as infer.tile=256")
    parser.add_argument("--out", required=True, help="folder for the outputs")
    parser.add_argument("--overlay", action="store_true", help="also write <name>_overlay.png")
    parser.add_argument("--probs", action="store_true", help="also write the class probabilities")
    parser.add_argument("--probs-format", choices=["npy", "png"], default="npy",
                        help="npy: <name>_probs.npy, float16 K x H x W (default); png: 16-bit <name>_probs.png")
    parser.add_argument("--panel", action="store_true", help="also write input | prediction | ground truth")
    parser.add_argument("--contours", action="store_true", help="also write the outlines drawn on the input")
    parser.add_argument("--masks", help="folder of ground-truth masks (same file stems) for the panels")
    parser.add_argument("--roi", help="folder of region-of-interest masks (same file stems), or 'auto' to derive each "
                        "image's field of view (a bright region on a dark surround, as fundus photographs); "
                        "outside is background")
    parser.add_argument("--alpha", type=opacity, default=0.7, help="overlay opacity (default 0.7)")
    parser.add_argument("--palette", choices=["default", "user"], default="default",
                        help="colours of label PNGs, panels and overlays: default (0/255 for two classes, VOC's "
                        "palette otherwise) or user (the colours of the training masks, data.colors, kept in the "
                        "checkpoint; label PNGs stay class ids, in a palette of those colours)")
    parser.add_argument("--tta", action="store_true", help="average over flips (infer.tta=true)")
    parser.add_argument("--uncertainty", action="store_true",
                        help="also write <name>_entropy.png, and with several views (--tta, two --checkpoint, a "
                        "folds run, infer.mc_dropout=N) <name>_mutual_information.png (.npy too with --probs), "
                        "and uncertainty.csv (per-image means, most uncertain first)")
    parser.add_argument("--export", nargs=2, metavar=("FORMAT", "FILE"),
                        help="also write the predictions as pre-annotations to correct in an annotation tool: "
                             "coco (JSON), cvat (CVAT for images 1.1 XML) or label_studio (JSON tasks); docs/annotations.md")
    parser.add_argument("--image-url", default="", metavar="PREFIX",
                        help="with --export: put before each image's file name (Label Studio: /data/local-files/?d=images/)")
    parser.add_argument("--fps", type=positive_int, metavar="N",
                        help="time N warm repetitions on the first image and print images/s")
    parser.add_argument("--device", default="auto", type=device)


def run(args: argparse.Namespace) -> int:
    from ...config import split_overrides
    from ...output_paths import output_folder
    from ..predict import measure_speed, predict
    from ..prediction_outputs import OutputOptions
    inputs, overrides = split_overrides(args.inputs)
    if args.export:
        from ...data.annotations.pre_annotations import PRE_ANNOTATIONS
        from ...errors import ConfigError
        from ...output_paths import output_file
        if args.export[0] not in PRE_ANNOTATIONS:
            raise ConfigError(f"--export {args.export[0]}: not a format unetkit writes ({', '.join(PRE_ANNOTATIONS)})")
        output_file(args.export[1], "--export")
    if not args.fps:
        output_folder(args.out)
    if args.fps:
        speed = measure_speed(args.checkpoint or args.model, inputs, args.fps, overrides, args.device, args.tta)
        print(f"{speed['image'].name} ({speed['width']}x{speed['height']}): {speed['images_per_second']:.2f} images/s, "
              f"{speed['ms_per_image']:.1f} ms/image over {args.fps} warm repetitions "
              f"({speed['device']}, {speed['precision']})")
        return 0
    options = OutputOptions(overlay=args.overlay, probabilities=args.probs_format if args.probs else None,
                            panel=args.panel, contours=args.contours, alpha=args.alpha, palette=args.palette,
                            uncertainty=args.uncertainty, export=tuple(args.export) if args.export else None,
                            image_url=args.image_url)
    summary = predict(args.checkpoint or args.model, inputs, args.out, options, args.roi, args.masks, overrides,
                      args.device, args.tta)
    for video, frames, out_path in summary.videos:
        print(f"{video}: {frames} frames -> {out_path}")
    if summary.written or summary.skipped:
        print(f"wrote {len(summary.written)} files to {args.out}" +
              (f"; skipped {len(summary.skipped)} unreadable inputs" if summary.skipped else ""))
    return nothing_done(summary, "predicted")


def nothing_done(summary, verb: str) -> int:
    """Exit status 1 (said on stderr) when inputs were given but every one was skipped, so a script
    can tell that nothing came out; 0 otherwise."""
    if summary.skipped and not summary.written and not getattr(summary, "videos", None):
        print(f"unetkit: error: nothing {verb}: all {len(summary.skipped)} inputs were unreadable "
              f"(first: {summary.skipped[0]})", file=sys.stderr)
        return 1
    return 0
