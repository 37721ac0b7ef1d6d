"""`unetkit weights-map`: the paper's border weight map of one training image, as a PNG."""
from __future__ import annotations

import argparse

from .argument_types import count

HELP = "write the paper's border weight map of a training image"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True)
    parser.add_argument("--image", type=count, default=0, help="index of the training image (default 0)")
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.add_argument("overrides", nargs="*", metavar="key=value")


def run(args: argparse.Namespace) -> int:
    from ...output_paths import output_file
    from ..weights_map import write_weight_map
    output_file(args.out)
    result = write_weight_map(args.config, args.image, args.out, args.overrides)
    print(f"{result['image']}: weights {result['min']:.2f} .. {result['max']:.2f} -> {args.out}")
    return 0
