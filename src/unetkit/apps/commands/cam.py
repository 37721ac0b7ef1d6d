"""`unetkit cam`: Grad-CAM maps of images per class and layer, with their deletion (faithfulness) score."""
from __future__ import annotations

import argparse
from pathlib import Path

from .argument_types import device, opacity
from .predict import nothing_done

HELP = "Grad-CAM maps: what the network looks at, per class and layer"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("inputs", nargs="*", metavar="IMAGE_OR_DIR", help="images and folders (recursive)")
    parser.add_argument("--class", dest="classes", action="append", metavar="NAME_OR_INDEX",
                        help="class to explain (repeat or comma-separate; default: every foreground class)")
    parser.add_argument("--layer", dest="layers", action="append", metavar="NAME",
                        help="layer to explain (repeat; default: bottleneck and decoder stages; see --list-layers)")
    parser.add_argument("--sweep", nargs="?", const="convs", choices=["convs", "stages"],
                        help="every 3x3 conv (default) or every stage, shallow to deep, with a grid PNG per class")
    parser.add_argument("--method", default="gradcam", help="gradcam (default), gradcam++, xgradcam, hirescam, "
                        "eigencam, scorecam, layercam")
    parser.add_argument("--region", default="pred", help="target pixels: pred (predicted as the class, default), "
                        "gt (with --masks), all (whole image), or a mask file / folder of masks")
    parser.add_argument("--score", default="logodds", choices=["logodds", "logit"],
                        help="per-pixel class score summed over the region: log-odds (default) or the raw logit")
    parser.add_argument("--masks", help="folder of ground-truth masks named like the images (for --region gt)")
    parser.add_argument("--out", default="runs/cam", help="output folder (default runs/cam)")
    parser.add_argument("--alpha", type=opacity, default=0.5, help="heat-map opacity over the image (default 0.5)")
    parser.add_argument("--no-faithfulness", action="store_true", help="skip the deletion score (faster)")
    parser.add_argument("--list-layers", action="store_true", help="print the layers one can explain and exit")
    parser.add_argument("--device", default="auto", type=device)


def run(args: argparse.Namespace) -> int:
    from ...errors import UnetkitError
    from ...output_paths import output_folder
    from ..cam import checkpoint_layers, explain_images
    if args.list_layers:
        for layer in checkpoint_layers(args.checkpoint):
            print(layer.describe())
        return 0
    if not args.inputs:
        raise UnetkitError("cam: give images or folders to explain (or --list-layers)")
    output_folder(args.out)
    classes = [c for item in args.classes or [] for c in item.split(",") if c]
    summary = explain_images(args.checkpoint, args.inputs, args.out, classes or None, args.layers, args.sweep,
                             args.method, args.region, args.masks, args.alpha, args.device,
                             not args.no_faithfulness, score=args.score)
    if not args.no_faithfulness:
        print("faithfulness (deletion: 1 - mean class score with the top 5..50% pixels blurred; random order in brackets)")
    for row in summary.rows:
        score = "absent" if row["absent"] else _score(row["faithfulness"]) + f" [{_score(row['random_baseline'])}]"
        print(f"{Path(row['image']).name}  {row['class']}  {row['layer']}  {score if not args.no_faithfulness else ''}")
    print(f"wrote {len(summary.written)} files to {args.out}" +
          (f"; skipped {len(summary.skipped)} unreadable inputs" if summary.skipped else ""))
    return nothing_done(summary, "explained")


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
