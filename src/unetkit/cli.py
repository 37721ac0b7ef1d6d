"""Command line: argument parsing only; each subcommand calls one package function.

User errors (UnetkitError) become one line on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .errors import UnetkitError

log = logging.getLogger("unetkit")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="unetkit", description="Train, evaluate and predict U-Net segmentation models.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model from a config")
    train.add_argument("--config", help="YAML config file (configs/*.yaml)")
    train.add_argument("--out", help="run directory (default runs/<config name>)")
    train.add_argument("--resume", action="store_true", help="continue the run in --out from last.pt")
    train.add_argument("overrides", nargs="*", metavar="key=value", help="e.g. train.epochs=50 model.base_channels=32")

    evaluate = commands.add_parser("evaluate", help="score a checkpoint on a dataset split")
    evaluate.add_argument("--checkpoint", required=True)
    evaluate.add_argument("--config", help="take data settings from this config instead of the checkpoint's")
    evaluate.add_argument("--split", default="test", choices=["train", "val", "test"])
    evaluate.add_argument("--json", help="also write the metrics to this JSON file")
    evaluate.add_argument("--device", default="auto")
    evaluate.add_argument("overrides", nargs="*", metavar="key=value", help="e.g. data.root=... data.format=drive")

    predict = commands.add_parser("predict", help="segment images or folders of images")
    predict.add_argument("--checkpoint", required=True)
    predict.add_argument("inputs", nargs="+", metavar="IMAGE_OR_DIR_OR_key=value")
    predict.add_argument("--out", required=True, help="folder for the outputs")
    predict.add_argument("--overlay", action="store_true", help="also write <name>_overlay.png")
    predict.add_argument("--probs", action="store_true", help="also write <name>_probs.npy (float16, K x H x W)")
    predict.add_argument("--roi", help="folder of region-of-interest masks (same file stems); outside is background")
    predict.add_argument("--alpha", type=float, default=0.7, help="overlay opacity (default 0.7)")
    predict.add_argument("--device", default="auto")

    demo = commands.add_parser("demo", help="train, evaluate and predict on the built-in synthetic data")
    demo.add_argument("--out", default="runs/demo")
    demo.add_argument("overrides", nargs="*", metavar="key=value")
    return parser


def _split_overrides(items: list[str]) -> tuple[list[str], list[str]]:
    """Separate key=value overrides from paths (a path may contain '=' only if it exists)."""
    overrides = [i for i in items if "=" in i and not Path(i).exists()]
    return [i for i in items if i not in overrides], overrides


def _cmd_train(args) -> int:
    from .config import load_config
    from .metrics import format_table
    from .train import train
    out = Path(args.out) if args.out else Path("runs") / (Path(args.config).stem if args.config else "default")
    config_path = args.config
    if args.resume and config_path is None and (out / "config.yaml").is_file():
        config_path = out / "config.yaml"
    config = load_config(config_path, args.overrides)
    result = train(config, out, resume=args.resume)
    if result["metrics"]:
        print(format_table(result["metrics"]))
    print(f"run directory: {out} (best.pt, last.pt, config.yaml, history.jsonl, tensorboard/)")
    return 0


def _cmd_evaluate(args) -> int:
    from .evaluate import evaluate_checkpoint
    from .metrics import format_table
    metrics = evaluate_checkpoint(args.checkpoint, args.split, args.config, args.overrides, args.json, args.device)
    print(format_table(metrics))
    if args.json:
        print(f"metrics written to {args.json}")
    return 0


def _cmd_predict(args) -> int:
    from .infer.outputs import predict_files
    from .infer.predictor import Predictor
    inputs, overrides = _split_overrides(args.inputs)
    predictor = Predictor.from_checkpoint(args.checkpoint, device=args.device)
    if overrides:
        from .config import config_for_checkpoint
        predictor.config = config_for_checkpoint(predictor.config, None, overrides)
        predictor.threshold = predictor.config.infer.threshold
    summary = predict_files(predictor, inputs, args.out, overlay=args.overlay, probabilities=args.probs,
                            alpha=args.alpha, roi_dir=args.roi)
    print(f"wrote {len(summary.written)} files to {args.out}" +
          (f"; skipped {len(summary.skipped)} unreadable inputs" if summary.skipped else ""))
    return 0


def _cmd_demo(args) -> int:
    from .demo import run_demo
    from .metrics import format_table
    metrics = run_demo(args.out, args.overrides)
    print("synthetic validation images:")
    print(format_table(metrics))
    print(f"overlays: {Path(args.out) / 'predictions'}/*_overlay.png; run: {args.out}")
    return 0


COMMANDS = {"train": _cmd_train, "evaluate": _cmd_evaluate, "predict": _cmd_predict, "demo": _cmd_demo}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    from .train.trainer import Interrupted
    try:
        return COMMANDS[args.command](args)
    except UnetkitError as error:
        print(f"unetkit: error: {error}", file=sys.stderr)
        return 2
    except Interrupted as stopped:
        print(f"unetkit: interrupted; resume with: unetkit train --out {stopped} --resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
