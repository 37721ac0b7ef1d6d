"""`unetkit serve`: an HTTP service with a web page for a checkpoint or an ONNX model."""
from __future__ import annotations

import argparse

from .argument_types import device, port, positive_float, positive_int

HELP = "an HTTP service with a web page for a checkpoint or an ONNX model"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    served = parser.add_mutually_exclusive_group(required=True)
    served.add_argument("--checkpoint", help="a unetkit checkpoint (.pt): PyTorch, with Grad-CAM on the page")
    served.add_argument("--model", help="an exported .onnx model, run by ONNX Runtime")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=port, default=8000)
    parser.add_argument("--workers", type=positive_int, default=2, help="predictions run at once (default 2)")
    parser.add_argument("--max-mb", type=positive_float, default=20.0, help="largest upload in MB (default 20): larger is 413")
    parser.add_argument("--max-pixels", type=positive_int, default=40_000_000, help="largest image in pixels (default 40M)")
    parser.add_argument("--device", default="auto", type=device)
    parser.add_argument("overrides", nargs="*", metavar="infer.key=value", help="e.g. infer.tta=false infer.tile=512")


def run(args: argparse.Namespace) -> int:
    from ..serve import ServeLimits, serve
    limits = ServeLimits(int(args.max_mb * 1024 * 1024), args.max_pixels, args.workers)
    serve(args.checkpoint, args.model, args.host, args.port, limits, args.device, args.overrides)
    return 0
