"""`unetkit label-studio`: a trained model as a Label Studio ML backend."""
from __future__ import annotations

import argparse

from .argument_types import count, device, port, positive_float

HELP = "serve a model as Label Studio's ML backend: pre-annotations, review's task order, fine-tuning on corrections"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    served = parser.add_mutually_exclusive_group(required=True)
    served.add_argument("--checkpoint", help="a unetkit checkpoint (.pt, .safetensors) or a run folder (its best.pt): "
                                             "predictions and fine-tuning")
    served.add_argument("--model", help="an exported .onnx model: predictions only")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=port, default=9090)
    parser.add_argument("--url", help="Label Studio's address, for its images and exports (default: LABEL_STUDIO_URL, "
                                      "else the hostname Label Studio sends at setup)")
    parser.add_argument("--api-key", help="Label Studio's API key (default: LABEL_STUDIO_API_KEY, else the token "
                                          "Label Studio sends at setup)")
    parser.add_argument("--images", metavar="DIR", help="a folder holding the tasks' images (read from disk by name "
                                                        "instead of fetched)")
    parser.add_argument("--work", metavar="DIR", default="runs/label_studio",
                        help="where fine-tuning writes its data and runs (default runs/label_studio)")
    parser.add_argument("--train-minutes", type=positive_float, default=2.0,
                        help="each fine-tuning job's training time (default 2)")
    parser.add_argument("--train-after", type=count, default=0, metavar="N",
                        help="also fine-tune after every N new or changed annotations (default 0: only on the "
                             "project's Start training)")
    parser.add_argument("--device", default="auto", type=device)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ...output_paths import output_folder
    from ..label_studio.backend import serve_label_studio
    from ..label_studio.connection import LabelStudio
    output_folder(args.work)
    serve_label_studio(args.checkpoint, args.model, LabelStudio.configured(args.url, args.api_key, args.images),
                       Path(args.work), args.host, args.port, args.train_minutes, args.train_after, args.device)
    return 0
