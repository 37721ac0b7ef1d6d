"""`unetkit export`: a checkpoint written as ONNX (optionally int8), pt2, AOTInductor, TorchScript or
safetensors, and checked against it."""
from __future__ import annotations

import argparse

from .argument_types import number_in, positive_int

HELP = ("write the network as ONNX (optionally int8), pt2 (torch.export), aoti (AOTInductor), TorchScript or "
        "safetensors, checked against the checkpoint")

# export/formats.py's registry, named here so that parsing arguments does not import the exporters
# (tests/export/test_formats.py checks the two agree)
EXPORT_FORMAT_NAMES = ("onnx", "pt2", "aoti", "torchscript", "safetensors")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--format", default="onnx", choices=list(EXPORT_FORMAT_NAMES),
                        help="onnx (default); pt2: torch.export's program (torch.export.load); aoti: that program "
                        "compiled by AOTInductor (a C++ compiler, minutes); torchscript (deprecated by torch); "
                        "safetensors: the weights without pickle, which predict / evaluate / serve --checkpoint "
                        "read like a .pt")
    parser.add_argument("--out", help="file to write (default: beside the checkpoint, <stem>.onnx, <stem>.pt2, "
                        "<stem>_aoti.pt2, <stem>_torchscript.pt)")
    parser.add_argument("--opset", type=number_in(int, 7), default=17, help="ONNX opset (default 17)")
    parser.add_argument("--static", type=positive_int, metavar="SIZE", help="fixed SIZE x SIZE input instead of dynamic "
                        "height and width (multiples of the network's stride)")
    parser.add_argument("--quantize", choices=["int8"], help="also write an int8 ONNX model (static quantization, "
                        "calibrated on --calibrate); the fp32 file is kept beside it as <out>_fp32.onnx")
    parser.add_argument("--calibrate", metavar="DIR", help="images to calibrate the int8 model on")
    parser.add_argument("--masks", metavar="DIR", help="masks of the --calibrate images (same stems): the int8 "
                        "model's score drop on them is printed and stored in its metadata")


def run(args: argparse.Namespace) -> int:
    from ...errors import ConfigError
    from ...output_paths import output_file
    from ..export import export_checkpoint, quantize_export
    if args.out:
        output_file(args.out)   # as typed: a trailing separator asks for a folder
    if args.quantize:
        if args.format != "onnx" or not args.calibrate:
            raise ConfigError("--quantize int8 needs --format onnx and --calibrate DIR (images to calibrate on)")
        result = quantize_export(args.checkpoint, args.calibrate, args.out, args.masks, args.opset)
    else:
        result = export_checkpoint(args.checkpoint, args.format, args.out, args.opset, args.static)
    sizes = ", ".join(f"{h}x{w}" for h, w in result["sizes"])
    print(f"wrote {result['path']} ({result['format']}); parity with {args.checkpoint}: max |difference| of "
          f"probabilities {result['max_difference']:.2e} at {sizes}")
    if args.quantize:
        print(f"wrote {result['int8_path']} (int8)")
        accuracy = result["accuracy"]
        if accuracy:
            print(f"int8 on {accuracy['images']} images of {args.masks}: {accuracy['metric']} {accuracy['int8']:.4f} "
                  f"(fp32 {accuracy['fp32']:.4f}, drop {accuracy['drop']:+.4f})")
    return 0
