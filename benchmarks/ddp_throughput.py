"""Issue 17: training images/s of one process against N data-parallel ranks (`unetkit train --nproc N`,
torchrun; gloo on a CPU, nccl on GPUs), the same config and global patches per epoch.

Each setting is a real `unetkit train` run in its own process; images/s is the patches of epochs 2..E
over their training seconds (history.jsonl: the first epoch holds start-up and warm-up). On a CPU every
rank gets cores / N threads (torchrun's OMP_NUM_THREADS), so N ranks share the cores one process
uses: expect no speed-up there, the point is that the same run works. On a GPU machine, `--nproc 1
--ddp` runs the DDP path with one rank (torchrun, DistributedDataParallel, the per-step all-reduce)
against the plain one-process path, which is the overhead the issue bounds at 3 percent.

Usage: python benchmarks/ddp_throughput.py [--config configs/drive.yaml] [--ranks 1 2] [--epochs 3]
       [--out runs/ddp-bench] [--no-append] [key=value ...]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from _report import append_report


def images_per_second(run: Path, patches: int) -> tuple[float, float]:
    """(images/s over epochs 2.., seconds of those epochs) from a run's history."""
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    seconds = history[-1]["train_seconds"] - history[0]["train_seconds"]
    return patches * (len(history) - 1) / seconds, seconds


def train(config: str, out: Path, ranks: int, ddp: bool, overrides: list[str]) -> None:
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "unetkit", "train", "--config", config, "--out", str(out), *overrides]
    if ddp or ranks > 1:
        command[4:4] = ["--nproc", str(ranks)] if ranks > 1 else []
    environment = dict(os.environ)
    if ddp and ranks == 1:   # one rank through torchrun and DDP, not the plain path
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "1",
                   "-m", "unetkit", *command[3:]]
    if ranks > 1 and "OMP_NUM_THREADS" not in environment:
        environment["OMP_NUM_THREADS"] = str(max(1, len(os.sched_getaffinity(0)) // ranks))
    subprocess.run(command, check=True, env=environment)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/drive.yaml")
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--ddp", action="store_true", help="also run one rank through torchrun + DDP")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--patches", type=int, default=96, help="data.patches_per_epoch (global)")
    parser.add_argument("--out", default="runs/ddp-bench")
    parser.add_argument("--no-append", action="store_true")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    overrides = [f"train.epochs={args.epochs}", f"data.patches_per_epoch={args.patches}", "train.val_every=1000",
                 "data.val_images=[]", "train.progress=false", *args.overrides]
    settings = [(ranks, False) for ranks in args.ranks] + ([(1, True)] if args.ddp else [])
    rows = ["| setting | images/s | seconds (epochs 2..) | ratio to 1 process |", "|---|---|---|---|"]
    baseline = None
    for ranks, ddp in settings:
        name = f"{ranks} rank{'s' if ranks > 1 else ''}" + (" (torchrun + DDP)" if ddp or ranks > 1 else
                                                              " (one process, no DDP)")
        out = Path(args.out) / (name.split(" (")[0].replace(" ", "_") + ("_ddp" if ddp else ""))
        train(args.config, out, ranks, ddp, overrides)
        speed, seconds = images_per_second(out, args.patches)
        baseline = baseline or speed
        rows.append(f"| {name} | {speed:.2f} | {seconds:.0f} | {speed / baseline:.2f} |")
    append_report(f"Data-parallel training throughput ({args.config}, {args.patches} patches x "
                  f"{args.epochs} epochs)", rows, append=not args.no_append)


if __name__ == "__main__":
    main()
