"""`unetkit demo`: train, evaluate and predict on the built-in synthetic data."""
from __future__ import annotations

import argparse
from pathlib import Path

HELP = "train, evaluate and predict on the built-in synthetic data"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runs/demo")
    parser.add_argument("overrides", nargs="*", metavar="key=value")


def run(args: argparse.Namespace) -> int:
    from ...metrics import format_table
    from ...output_paths import output_folder
    from ..demo import run_demo
    output_folder(args.out)
    metrics = run_demo(args.out, args.overrides)
    print("synthetic validation images:")
    print(format_table(metrics))
    print(f"overlays: {Path(args.out) / 'predictions'}/*_overlay.png; run: {args.out}")
    return 0
