"""`unetkit train`: a config (or the automatic plan) in, a run directory out; `--nproc N` launches N ranks."""
from __future__ import annotations

import argparse

from .argument_types import number_in, positive_int

HELP = "train a model from a config, or from a plan made for data.root"
MEMORY_ADVICE = "lower train.batch_size or data.patch_size (or model.base_channels)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML config file (configs/*.yaml); without one (or 'auto') the data in "
                        "data.root is fingerprinted and a plan fitted to train.max_minutes (default 15) is used")
    parser.add_argument("--out", help="run directory (default runs/<config name>, runs/auto-<data folder> for a plan)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from last.pt")
    parser.add_argument("--folds", type=number_in(int, 2), help="k-fold cross-validation: folder and drive data over the "
                        "training images (seeded, each fold's split stored in its run), isbi over the slices")
    parser.add_argument("--nproc", type=positive_int, default=1, help="data-parallel ranks on this machine (DDP through "
                        "torchrun: one per GPU, or CPU processes); global batch = train.batch_size x N")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="e.g. train.epochs=50 model.base_channels=32")


def run(args: argparse.Namespace) -> int:
    if args.nproc != 1:
        return _launch(args)
    from ...metrics import format_table
    from ...train.distributed import strategy_from_environment
    from ..train import train_from_config
    result = train_from_config(args.config, args.out, args.resume, args.folds, args.overrides)
    if not strategy_from_environment().is_main:
        return 0   # one of several ranks: rank 0 prints the result
    if args.folds:
        print(f"mean over {args.folds} folds:")
        print(format_table({**result["mean"], "iou_per_class": {}}))
        print(f"per-fold metrics: {result['run_dir'] / 'folds.json'}")
        return 0
    if result["metrics"]:
        print(format_table(result["metrics"]))
    print(f"run directory: {result['run_dir']} (best.pt, last.pt, config.yaml, history.jsonl, tensorboard/"
          + (", plan.yaml, inspect.json)" if result.get("plan") else ")"))
    return 0


def _launch(args: argparse.Namespace) -> int:
    """`--nproc N`: the same command as N ranks under torchrun, all writing into one run directory."""
    from ..launch import check_before_launch, launch_ranks
    from ..train import default_run_dir
    out = args.out or str(default_run_dir(args.config, args.overrides))
    check_before_launch(args.config, args.overrides, out, args.resume)   # one error here, not one per rank
    launch_ranks(args.nproc, [*(["--verbose"] if args.verbose else []), "train",
                              *(["--config", args.config] if args.config else []), "--out", out,
                              *(["--resume"] if args.resume else []),
                              *(["--folds", str(args.folds)] if args.folds else []), *args.overrides], out)
    return 0
