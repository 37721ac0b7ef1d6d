"""`unetkit evaluate`: a checkpoint (or an ensemble) scored on a split; tables printed, files on request."""
from __future__ import annotations

import argparse

from .argument_types import device, positive_float

HELP = "score a checkpoint on a dataset split"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, action="append", help="a checkpoint; repeat it (or give "
                        "a --folds run directory) to score the ensemble: probabilities averaged")
    parser.add_argument("--config", help="take data settings from this config instead of the checkpoint's")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"])
    parser.add_argument("--json", help="also write the metrics to this JSON file")
    parser.add_argument("--report", metavar="DIR", help="also write the per-class report: metrics.json, bar "
                        "charts of IoU / recall / precision / F1, the confusion matrix")
    parser.add_argument("--per-image", metavar="CSV", help="also write every image's metrics, worst first")
    parser.add_argument("--surface", action="store_true", help="also score boundaries per class: hd95, assd, "
                        "surface Dice (and clDice for binary tasks); slower")
    parser.add_argument("--tolerance", type=positive_float, default=2.0, help="surface Dice tolerance in pixels (default 2)")
    parser.add_argument("--choose-postprocessing", action="store_true", help="choose infer.postprocess "
                        "(largest component, small-component removal, hole filling per class) on this split "
                        "(use --split val) and store it with the run")
    parser.add_argument("--device", default="auto", type=device)
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="e.g. data.root=... data.format=drive")


def run(args: argparse.Namespace) -> int:
    from ...metrics import format_per_class_table, format_table
    from ...output_paths import output_file, output_folder
    from ..evaluate import evaluate_checkpoint
    for option, path in (("--json", args.json), ("--per-image", args.per_image)):
        if path:
            output_file(path, option)
    if args.report:
        output_folder(args.report, "--report")
    metrics = evaluate_checkpoint(args.checkpoint, args.split, args.config, args.overrides, args.json, args.device,
                                  args.report, args.per_image, args.surface, args.tolerance,
                                  args.choose_postprocessing)
    if "postprocess" in metrics:
        chosen = metrics["postprocess"]
        print(f"post-processing chosen on {args.split}: {', '.join(chosen['chosen']) or 'none'} "
              f"(min_size {chosen['min_size']}): score {chosen['score_before']:.4f} -> {chosen['score_after']:.4f}; "
              f"stored in {args.checkpoint[0]}")
    print(format_table(metrics))
    if args.report:
        print()
        print(format_per_class_table(metrics))
        print(f"report written to {args.report} (metrics.json, iou.png, recall.png, precision.png, f1.png, "
              f"confusion_matrix.png)")
    if args.per_image:
        print(f"per-image metrics (worst first) written to {args.per_image}")
    if args.json:
        print(f"metrics written to {args.json}")
    return 0
