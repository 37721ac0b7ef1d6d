"""`unetkit sweep`: one run per value of a setting (or per combination of values), compared."""
from __future__ import annotations

import argparse
from pathlib import Path

from .argument_types import device, positive_int
from .compare import run_comparison

HELP = ("one run per value of a setting (or per combination), compared; "
        "e.g. unetkit sweep --config configs/drive_lab.yaml train.epochs=300,600,900")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True)
    parser.add_argument("settings", nargs="+", metavar="KEY=V1,V2|key=value",
                        help="swept settings (a comma in the value) and fixed overrides")
    parser.add_argument("--seeds", type=positive_int, default=1, help="runs per value, seeds 0..N-1 (default 1)")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"])
    parser.add_argument("--out", help="folder of the runs and the tables (default runs/sweep-<config name>)")
    parser.add_argument("--checkpoint", default="best", choices=["best", "last"], help="which checkpoint of each "
                        "run is scored; last for an epoch study (best.pt is validation's favourite epoch)")
    parser.add_argument("--device", default="auto", type=device)


def run(args: argparse.Namespace) -> int:
    from ..experiments import experiments_from_sweep
    experiments = experiments_from_sweep(args.config, args.settings)
    args.out = args.out or f"runs/sweep-{Path(args.config).stem}"
    result = run_comparison(experiments, args, plot_against_value=True)
    print(result["table"], end="")
    print(f"written to {args.out}: compare.md, compare.json, compare.png, sweep.png")
    return 0
