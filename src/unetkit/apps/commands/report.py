"""`unetkit report`: report.html of a training run."""
from __future__ import annotations

import argparse

from .argument_types import count, device

HELP = ("report.html of a training run: curves, metrics, ROC/PR, per-class charts, confusion matrix, best and "
        "worst images")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN_DIR", help="a run directory of unetkit train")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"])
    parser.add_argument("--checkpoint", default="best", choices=["best", "last"])
    parser.add_argument("--out", help="folder for report.html and its PNGs (default RUN_DIR/report)")
    parser.add_argument("--panels", type=count, default=3, help="best and worst images shown (default 3 each)")
    parser.add_argument("--device", default="auto", type=device)
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="e.g. data.root=... infer.tta=true")


def run(args: argparse.Namespace) -> int:
    from ...output_paths import output_folder
    from ..report import write_run_report
    if args.out:
        output_folder(args.out)
    report = write_run_report(args.run, args.split, args.checkpoint, args.out, args.overrides, args.device,
                              args.panels)
    print(f"wrote {report.html} ({len(report.images)} figures embedded, also beside it as PNGs): "
          f"{', '.join(report.sections)}")
    return 0
