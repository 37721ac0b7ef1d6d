"""Training and inference throughput of unetkit's U-Nets beside the peers, in one process (issue 5a, 5b).

Usage: python benchmarks/throughput.py [--size 256] [--batch 4] [--reps 5] [--rounds 3] [--precision auto]
       [--peers ../shared/bench] [--only NAME] [--compile] [--no-append]
Needs the bench extra (pip install -e '.[bench]') for the segmentation_models.pytorch and MONAI peers.
unetkit's models train with unetkit's TrainStep and optimizer (fused Adam; --compile adds
torch.compile, as train.compile=true does); the peers run the loop of ../shared/bench/peers.py
(autocast, default Adam). Every model is timed in --rounds interleaved rounds and the best round
counts, so a slow moment of a shared machine hits all of them alike.
Prints a markdown table with ratios against the textbook U-Net of the same width, and the measured
matmul ceiling of this machine (bf16 and fp32, best of several sizes), so FLOP/s can be read as a
fraction of it; appends it to docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from _report import append_report
from torch.utils.flop_counter import FlopCounterMode

from unetkit.config import TrainConfig
from unetkit.infer.optimize import optimize_for_inference
from unetkit.losses import build_loss
from unetkit.models import UNet
from unetkit.runtime import autocast, choose_precision, memory_format, resolve_device
from unetkit.train.optimizers import build_optimizer
from unetkit.train.step import TrainStep


def matmul_ceiling(device: torch.device, dtype: torch.dtype, sizes=(1024, 2048, 4096), reps: int = 5) -> float:
    """GFLOP/s of the best square matrix product, the practical peak for conv-heavy networks."""
    best = 0.0
    for size in sizes:
        a = torch.randn(size, size, device=device, dtype=dtype)
        b = torch.randn(size, size, device=device, dtype=dtype)
        for _ in range(2):
            a @ b
        _sync(device)
        started = time.perf_counter()
        for _ in range(reps):
            a @ b
        _sync(device)
        best = max(best, 2 * size ** 3 * reps / (time.perf_counter() - started) / 1e9)
    return best


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


class Runner:
    """One model with its training step and inference call on fixed synthetic data."""

    def __init__(self, model: torch.nn.Module, args, device, precision, is_unetkit: bool):
        fmt = memory_format(precision, device)
        self.device, self.precision, self.batch = device, precision, args.batch
        self.model = model.to(device, memory_format=fmt)
        self.images = torch.randn(args.batch, 3, args.size, args.size, device=device).contiguous(memory_format=fmt)
        self.labels = torch.randint(0, 2, (args.batch, args.size, args.size), device=device)
        with FlopCounterMode(display=False) as counter:
            self.model(self.images[:1])
        self.gflop = counter.get_total_flops() / 1e9
        self.params = sum(p.numel() for p in self.model.parameters()) / 1e6
        if is_unetkit:
            optimizer = build_optimizer(self.model.parameters(), TrainConfig(optimizer="adam", lr=1e-3))
            self.step = TrainStep(self.model, optimizer, build_loss("ce"), device, precision, fmt,
                                  compile=args.compile, compile_mode=args.compile_mode)
        else:  # the peers' own loop, as ../shared/bench/peers.py runs it
            optimizer = torch.optim.Adam(self.model.parameters(), 1e-3)
            model = self.model

            def step(x, y):
                with autocast(device, precision):
                    loss = F.cross_entropy(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            self.step = step
        self.model.train()
        for _ in range(2):
            self.step(self.images, self.labels)
        # inference runs what `unetkit predict` runs: the optimized copy (BatchNorm folded, bf16 weights)
        self.infer_model = optimize_for_inference(self.model, precision) if is_unetkit else self.model
        self.infer_images = self.images.to(next(self.infer_model.parameters()).dtype)
        self.train_rates, self.infer_rates = [], []

    def time_round(self, reps: int) -> None:
        self.model.train()
        _sync(self.device)
        started = time.perf_counter()
        for _ in range(reps):
            self.step(self.images, self.labels)
        _sync(self.device)
        self.train_rates.append(reps * self.batch / (time.perf_counter() - started))
        self.infer_model.eval()
        with torch.no_grad(), autocast(self.device, self.precision):
            self.infer_model(self.infer_images)
            _sync(self.device)
            started = time.perf_counter()
            for _ in range(reps):
                self.infer_model(self.infer_images)
            _sync(self.device)
            self.infer_rates.append(reps * self.batch / (time.perf_counter() - started))

    def result(self) -> dict:
        train, infer = max(self.train_rates), max(self.infer_rates)
        return {"params": self.params, "gflop": self.gflop, "train": train, "infer": infer,
                "train_gflops": 3 * self.gflop * train}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--peers", default=str(Path(__file__).resolve().parents[2] / "shared" / "bench"))
    parser.add_argument("--only", default="")
    parser.add_argument("--compile", action="store_true", help="torch.compile unetkit's models (train.compile)")
    parser.add_argument("--compile-mode", default="default", choices=("default", "reduce-overhead", "max-autotune"))
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(0)
    device = resolve_device("auto")
    precision = choose_precision(args.precision, device).precision
    sys.path.insert(0, args.peers)
    from peers import TextbookUNet, peers
    models = {
        "unetkit-unet64": (lambda: UNet(3, 2, base_channels=64, norm="batch"), True),
        "textbook-unet64": (lambda: TextbookUNet(base=64), False),
        "unetkit-unet32": (lambda: UNet(3, 2, base_channels=32, norm="batch"), True),
        "textbook-unet32": (lambda: TextbookUNet(base=32), False),
    }
    try:
        for name, make in peers().items():
            if name.startswith(("smp-", "monai-")):
                models[name] = (make, False)
    except ImportError as error:
        print(f"(peers skipped: {error}; pip install -e '.[bench]')")
    ceiling_bf16 = matmul_ceiling(device, torch.bfloat16)
    ceiling_fp32 = matmul_ceiling(device, torch.float32)
    runners = {name: Runner(make(), args, device, precision, is_unetkit)
               for name, (make, is_unetkit) in models.items() if not args.only or args.only in name}
    for _ in range(args.rounds):
        for runner in runners.values():
            runner.time_round(args.reps)
    results = {name: runner.result() for name, runner in runners.items()}
    lines = [(f"{precision}, channels_last={precision != 'fp32'}, batch {args.batch}, {args.size}x{args.size}, "
             f"best of {args.rounds} interleaved rounds of {args.reps} steps; unetkit: fused Adam"
             f"{f', torch.compile ({args.compile_mode})' if args.compile else ''}; "
             f"matmul ceiling: {ceiling_bf16:.0f} GFLOP/s bf16, "
             f"{ceiling_fp32:.0f} GFLOP/s fp32\n"),
             ("| model | Mparam | GFLOP/img fwd | train img/s | infer img/s | train GFLOP/s | % of bf16 ceiling | "
             "train vs textbook | infer vs textbook |"),
             "|---|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        reference = results.get("textbook-" + name.split("-", 1)[1]) if name.startswith("unetkit-") else None
        train_ratio = f"{r['train'] / reference['train']:.2f}x" if reference else ""
        infer_ratio = f"{r['infer'] / reference['infer']:.2f}x" if reference else ""
        lines.append(f"| {name} | {r['params']:.2f} | {r['gflop']:.1f} | {r['train']:.2f} | {r['infer']:.2f} | "
                     f"{r['train_gflops']:.0f} | {100 * r['train_gflops'] / ceiling_bf16:.0f}% | {train_ratio} | "
                     f"{infer_ratio} |")
    append_report("Throughput beside the peers (issue 5a, 5b)", lines, append=not args.no_append)

if __name__ == "__main__":
    main()
