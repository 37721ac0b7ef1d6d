"""`unetkit compare`: configs trained over the same seeds (or finished runs) and their test metrics compared."""
from __future__ import annotations

import argparse

from .argument_types import device, positive_int

HELP = ("train configs (or read finished runs) over the same seeds and compare their test metrics: mean +- std "
        "table, JSON, bar chart")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("items", nargs="+", metavar="CONFIG_OR_RUN", help="config files and/or finished run dirs")
    parser.add_argument("--seeds", type=positive_int, default=3, help="runs per config, seeds 0..N-1 (default 3)")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"])
    parser.add_argument("--out", default="runs/compare", help="folder of the runs and the tables (default runs/compare)")
    parser.add_argument("--checkpoint", default="best", choices=["best", "last"], help="which checkpoint of each "
                        "run is scored (default best)")
    parser.add_argument("--device", default="auto", type=device)


def run(args: argparse.Namespace) -> int:
    from ...config import split_overrides
    from ..experiments import experiments_from_paths
    items, overrides = split_overrides(args.items)
    result = run_comparison(experiments_from_paths(items, overrides), args)
    print(result["table"], end="")
    print(f"written to {args.out}: compare.md, compare.json, compare.png")
    return 0


def run_comparison(experiments: list, args: argparse.Namespace, plot_against_value: bool = False) -> dict:
    """compare and sweep alike: every experiment over seeds 0..--seeds-1, scored on --split."""
    from ...output_paths import output_folder
    from ..experiments import compare
    output_folder(args.out)
    return compare(experiments, list(range(args.seeds)), args.out, args.split, args.device, plot_against_value,
                   args.checkpoint)
