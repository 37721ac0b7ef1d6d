"""Training and inference throughput of unetkit's U-Nets beside the peers, in one process (issue 5a, 5b).

Usage: python benchmarks/throughput.py [--size 256] [--batch 4] [--reps 5] [--precision auto]
       [--peers ../shared/bench] [--only NAME] [--compile]
Needs the bench extra (pip install -e '.[bench]') for the segmentation_models.pytorch and MONAI peers.
Prints a markdown table with ratios against the textbook U-Net of the same width, and the measured
matmul ceiling of this machine (bf16 and fp32), so FLOP/s can be read as a fraction of it.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import date
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from unetkit.losses import build_loss
from unetkit.models import UNet
from unetkit.runtime import autocast, memory_format, resolve_device, resolve_precision
from unetkit.train.step import TrainStep


def matmul_ceiling(device: torch.device, dtype: torch.dtype, size: int = 2048, reps: int = 10) -> float:
    """GFLOP/s of a square matrix product, the practical peak for conv-heavy networks."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    for _ in range(2):
        a @ b
    _sync(device)
    started = time.perf_counter()
    for _ in range(reps):
        a @ b
    _sync(device)
    return 2 * size ** 3 * reps / (time.perf_counter() - started) / 1e9


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def measure(model: torch.nn.Module, args, device, precision, unetkit_step: bool) -> dict:
    fmt = memory_format(precision, device)
    model = model.to(device, memory_format=fmt)
    images = torch.randn(args.batch, 3, args.size, args.size, device=device).contiguous(memory_format=fmt)
    labels = torch.randint(0, 2, (args.batch, args.size, args.size), device=device)
    with FlopCounterMode(display=False) as counter:
        model(images[:1])
    gflop = counter.get_total_flops() / 1e9
    optimizer = torch.optim.Adam(model.parameters(), 1e-3, foreach=True)
    if args.compile:
        model = torch.compile(model)
    if unetkit_step:
        step = TrainStep(model, optimizer, build_loss("ce"), device, precision, fmt)
    else:  # the peers' own loop, as ../shared/bench/peers.py runs it
        def step(x, y):
            with autocast(device, precision):
                loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.train()
    for _ in range(2):
        step(images, labels)
    _sync(device)
    started = time.perf_counter()
    for _ in range(args.reps):
        step(images, labels)
    _sync(device)
    train_rate = args.reps * args.batch / (time.perf_counter() - started)
    model.eval()
    with torch.no_grad(), autocast(device, precision):
        model(images)
        _sync(device)
        started = time.perf_counter()
        for _ in range(args.reps):
            model(images)
        _sync(device)
        infer_rate = args.reps * args.batch / (time.perf_counter() - started)
    return {"params": sum(p.numel() for p in model.parameters()) / 1e6, "gflop": gflop, "train": train_rate,
            "infer": infer_rate, "train_gflops": 3 * gflop * train_rate}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--peers", default=str(Path(__file__).resolve().parents[2] / "shared" / "bench"))
    parser.add_argument("--only", default="")
    parser.add_argument("--compile", action="store_true", help="torch.compile every model")
    args = parser.parse_args()
    torch.manual_seed(0)
    device = resolve_device("auto")
    precision = resolve_precision(args.precision, device)
    sys.path.insert(0, args.peers)
    from peers import TextbookUNet, peers  # noqa: E402  (../shared/bench/peers.py)
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
    results = {}
    for name, (make, is_unetkit) in models.items():
        if args.only and args.only not in name:
            continue
        results[name] = measure(make(), args, device, precision, is_unetkit)
        r = results[name]
        print(f"{name:20s} {r['params']:6.2f}M {r['gflop']:7.1f} GFLOP {r['train']:7.2f} train img/s "
              f"{r['infer']:7.2f} infer img/s {r['train_gflops']:7.0f} GFLOP/s", flush=True)
    where = torch.cuda.get_device_name() if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    lines = [f"\n### Throughput, {date.today()}, {where}, {platform.node()}",
             f"`python benchmarks/throughput.py --size {args.size} --batch {args.batch} --reps {args.reps}"
             f"{' --compile' if args.compile else ''}` ({precision}, channels_last={precision != 'fp32'}, torch {torch.__version__}); "
             f"matmul ceiling: {ceiling_bf16:.0f} GFLOP/s bf16, {ceiling_fp32:.0f} GFLOP/s fp32\n",
             "| model | Mparam | GFLOP/img fwd | train img/s | infer img/s | train GFLOP/s | % of bf16 ceiling | train vs textbook |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        reference = results.get("textbook-" + name.split("-", 1)[1]) if name.startswith("unetkit-") else None
        ratio = f"{r['train'] / reference['train']:.2f}x" if reference else ""
        lines.append(f"| {name} | {r['params']:.2f} | {r['gflop']:.1f} | {r['train']:.2f} | {r['infer']:.2f} | "
                     f"{r['train_gflops']:.0f} | {100 * r['train_gflops'] / ceiling_bf16:.0f}% | {ratio} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
