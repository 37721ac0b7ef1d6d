"""Command line: argument parsing only; each subcommand calls one function of apps/ and prints its result.

User errors (UnetkitError) become one line on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .errors import ConfigError, UnetkitError

log = logging.getLogger("unetkit")

# export/formats.py's registry, named here so that parsing arguments does not import torch
# (tests/test_cli.py checks the two agree)
EXPORT_FORMAT_NAMES = ("onnx", "pt2", "aoti", "torchscript", "safetensors")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="unetkit", description="Train, evaluate and predict U-Net segmentation models.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model from a config, or from a plan made for data.root")
    train.add_argument("--config", help="YAML config file (configs/*.yaml); without one (or 'auto') the data in "
                       "data.root is fingerprinted and a plan fitted to train.max_minutes (default 15) is used")
    train.add_argument("--out", help="run directory (default runs/<config name>, runs/auto-<data folder> for a plan)")
    train.add_argument("--resume", action="store_true", help="continue the run in --out from last.pt")
    train.add_argument("--folds", type=int, help="k-fold cross-validation: folder and drive data over the training "
                       "images (seeded, each fold's split stored in its run), isbi over the slices")
    train.add_argument("--nproc", type=int, default=1, help="data-parallel ranks on this machine (DDP through "
                       "torchrun: one per GPU, or CPU processes); global batch = train.batch_size x N")
    train.add_argument("overrides", nargs="*", metavar="key=value", help="e.g. train.epochs=50 model.base_channels=32")

    evaluate = commands.add_parser("evaluate", help="score a checkpoint on a dataset split")
    evaluate.add_argument("--checkpoint", required=True, action="append", help="a checkpoint; repeat it (or give "
                          "a --folds run directory) to score the ensemble: probabilities averaged")
    evaluate.add_argument("--config", help="take data settings from this config instead of the checkpoint's")
    evaluate.add_argument("--split", default="test", choices=["train", "val", "test"])
    evaluate.add_argument("--json", help="also write the metrics to this JSON file")
    evaluate.add_argument("--report", metavar="DIR", help="also write the per-class report: metrics.json, bar "
                          "charts of IoU / recall / precision / F1, the confusion matrix")
    evaluate.add_argument("--per-image", metavar="CSV", help="also write every image's metrics, worst first")
    evaluate.add_argument("--surface", action="store_true", help="also score boundaries per class: hd95, assd, "
                          "surface Dice (and clDice for binary tasks); slower")
    evaluate.add_argument("--tolerance", type=float, default=2.0, help="surface Dice tolerance in pixels (default 2)")
    evaluate.add_argument("--choose-postprocessing", action="store_true", help="choose infer.postprocess "
                          "(largest component, small-component removal, hole filling per class) on this split "
                          "(use --split val) and store it with the run")
    evaluate.add_argument("--device", default="auto")
    evaluate.add_argument("overrides", nargs="*", metavar="key=value", help="e.g. data.root=... data.format=drive")

    predict = commands.add_parser("predict", help="segment images, folders of images or videos")
    source = predict.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", action="append", help="a unetkit checkpoint (.pt, .safetensors); repeat it "
                        "(or give a --folds run directory) to average the models' probabilities")
    source.add_argument("--model", help="an exported model (.onnx from unetkit export), run by ONNX Runtime")
    predict.add_argument("inputs", nargs="+", metavar="IMAGE_DIR_VIDEO_or_key=value",
                         help="files, folders (recursive), videos, and infer.* overrides such as infer.tile=256")
    predict.add_argument("--out", required=True, help="folder for the outputs")
    predict.add_argument("--overlay", action="store_true", help="also write <name>_overlay.png")
    predict.add_argument("--probs", action="store_true", help="also write the class probabilities")
    predict.add_argument("--probs-format", choices=["npy", "png"], default="npy",
                         help="npy: <name>_probs.npy, float16 K x H x W (default); png: 16-bit <name>_probs.png")
    predict.add_argument("--panel", action="store_true", help="also write input | prediction | ground truth")
    predict.add_argument("--contours", action="store_true", help="also write the outlines drawn on the input")
    predict.add_argument("--masks", help="folder of ground-truth masks (same file stems) for the panels")
    predict.add_argument("--roi", help="folder of region-of-interest masks (same file stems); outside is background")
    predict.add_argument("--alpha", type=float, default=0.7, help="overlay opacity (default 0.7)")
    predict.add_argument("--palette", choices=["default", "user"], default="default",
                         help="colours of label PNGs, panels and overlays: default (0/255 for two classes, VOC's "
                         "palette otherwise) or user (the colours of the training masks, data.colors, kept in the "
                         "checkpoint; label PNGs stay class ids, in a palette of those colours)")
    predict.add_argument("--tta", action="store_true", help="average over flips (infer.tta=true)")
    predict.add_argument("--fps", type=int, metavar="N", help="time N warm repetitions on the first image and print images/s")
    predict.add_argument("--device", default="auto")

    cam = commands.add_parser("cam", help="Grad-CAM maps: what the network looks at, per class and layer")
    cam.add_argument("--checkpoint", required=True)
    cam.add_argument("inputs", nargs="*", metavar="IMAGE_OR_DIR", help="images and folders (recursive)")
    cam.add_argument("--class", dest="classes", action="append", metavar="NAME_OR_INDEX",
                     help="class to explain (repeat or comma-separate; default: every foreground class)")
    cam.add_argument("--layer", dest="layers", action="append", metavar="NAME",
                     help="layer to explain (repeat; default: bottleneck and decoder stages; see --list-layers)")
    cam.add_argument("--sweep", nargs="?", const="convs", choices=["convs", "stages"],
                     help="every 3x3 conv (default) or every stage, shallow to deep, with a grid PNG per class")
    cam.add_argument("--method", default="gradcam", help="gradcam (default), gradcam++, xgradcam, hirescam, "
                     "eigencam, scorecam, layercam")
    cam.add_argument("--region", default="pred", help="target pixels: pred (predicted as the class, default), "
                     "gt (with --masks), all (whole image), or a mask file / folder of masks")
    cam.add_argument("--score", default="logodds", choices=["logodds", "logit"],
                     help="per-pixel class score summed over the region: log-odds (default) or the raw logit")
    cam.add_argument("--masks", help="folder of ground-truth masks named like the images (for --region gt)")
    cam.add_argument("--out", default="runs/cam", help="output folder (default runs/cam)")
    cam.add_argument("--alpha", type=float, default=0.5, help="heat-map opacity over the image (default 0.5)")
    cam.add_argument("--no-faithfulness", action="store_true", help="skip the deletion score (faster)")
    cam.add_argument("--list-layers", action="store_true", help="print the layers one can explain and exit")
    cam.add_argument("--device", default="auto")

    inspect = commands.add_parser("inspect", help="a dataset's fingerprint and the plan train would choose for it")
    inspect.add_argument("root", metavar="DATA_ROOT", help="dataset folder (folder, VOC, DRIVE or ISBI layout)")
    inspect.add_argument("--json", action="store_true", help="print the fingerprint and plan as JSON")
    inspect.add_argument("overrides", nargs="*", metavar="key=value", help="e.g. data.mask_suffix=_segmentation")

    weights = commands.add_parser("weights-map", help="write the paper's border weight map of a training image")
    weights.add_argument("--config", required=True)
    weights.add_argument("--image", type=int, default=0, help="index of the training image (default 0)")
    weights.add_argument("--out", required=True, help="PNG file to write")
    weights.add_argument("overrides", nargs="*", metavar="key=value")

    export = commands.add_parser("export", help="write the network as ONNX, pt2 (torch.export) or TorchScript, "
                                 "checked against the checkpoint")
    export.add_argument("--checkpoint", required=True)
    export.add_argument("--format", default="onnx", choices=list(EXPORT_FORMAT_NAMES),
                        help="onnx (default); pt2: torch.export's program (torch.export.load); aoti: that program "
                        "compiled by AOTInductor (a C++ compiler, minutes); torchscript (deprecated by torch); "
                        "safetensors: the weights without pickle, which predict / evaluate / serve --checkpoint "
                        "read like a .pt")
    export.add_argument("--out", help="file to write (default: beside the checkpoint, <stem>.onnx, <stem>.pt2, "
                        "<stem>_aoti.pt2, <stem>_torchscript.pt)")
    export.add_argument("--opset", type=int, default=17, help="ONNX opset (default 17)")
    export.add_argument("--static", type=int, metavar="SIZE", help="fixed SIZE x SIZE input instead of dynamic "
                        "height and width (multiples of the network's stride)")
    export.add_argument("--quantize", choices=["int8"], help="also write an int8 ONNX model (static quantization, "
                        "calibrated on --calibrate); the fp32 file is kept beside it as <out>_fp32.onnx")
    export.add_argument("--calibrate", metavar="DIR", help="images to calibrate the int8 model on")
    export.add_argument("--masks", metavar="DIR", help="masks of the --calibrate images (same stems): the int8 "
                        "model's score drop on them is printed and stored in its metadata")

    serve = commands.add_parser("serve", help="an HTTP service with a web page for a checkpoint or an ONNX model")
    served = serve.add_mutually_exclusive_group(required=True)
    served.add_argument("--checkpoint", help="a unetkit checkpoint (.pt): PyTorch, with Grad-CAM on the page")
    served.add_argument("--model", help="an exported .onnx model, run by ONNX Runtime")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2, help="predictions run at once (default 2)")
    serve.add_argument("--max-mb", type=float, default=20.0, help="largest upload in MB (default 20): larger is 413")
    serve.add_argument("--max-pixels", type=int, default=40_000_000, help="largest image in pixels (default 40M)")
    serve.add_argument("--device", default="auto")
    serve.add_argument("overrides", nargs="*", metavar="infer.key=value", help="e.g. infer.tta=false infer.tile=512")

    compare = commands.add_parser("compare", help="train configs (or read finished runs) over the same seeds and "
                                  "compare their test metrics: mean +- std table, JSON, bar chart")
    compare.add_argument("items", nargs="+", metavar="CONFIG_OR_RUN", help="config files and/or finished run dirs")
    compare.add_argument("--seeds", type=int, default=3, help="runs per config, seeds 0..N-1 (default 3)")
    compare.add_argument("--split", default="test", choices=["train", "val", "test"])
    compare.add_argument("--out", default="runs/compare", help="folder of the runs and the tables (default runs/compare)")
    compare.add_argument("--checkpoint", default="best", choices=["best", "last"], help="which checkpoint of each "
                         "run is scored (default best)")
    compare.add_argument("--device", default="auto")

    sweep = commands.add_parser("sweep", help="one run per value of a setting (or per combination), compared; "
                                "e.g. unetkit sweep --config configs/drive_lab.yaml train.epochs=300,600,900")
    sweep.add_argument("--config", required=True)
    sweep.add_argument("settings", nargs="+", metavar="KEY=V1,V2|key=value",
                       help="swept settings (a comma in the value) and fixed overrides")
    sweep.add_argument("--seeds", type=int, default=1, help="runs per value, seeds 0..N-1 (default 1)")
    sweep.add_argument("--split", default="test", choices=["train", "val", "test"])
    sweep.add_argument("--out", help="folder of the runs and the tables (default runs/sweep-<config name>)")
    sweep.add_argument("--checkpoint", default="best", choices=["best", "last"], help="which checkpoint of each "
                       "run is scored; last for an epoch study (best.pt is validation's favourite epoch)")
    sweep.add_argument("--device", default="auto")

    report = commands.add_parser("report", help="report.html of a training run: curves, metrics, ROC/PR, per-class "
                                 "charts, confusion matrix, best and worst images")
    report.add_argument("run", metavar="RUN_DIR", help="a run directory of unetkit train")
    report.add_argument("--split", default="test", choices=["train", "val", "test"])
    report.add_argument("--checkpoint", default="best", choices=["best", "last"])
    report.add_argument("--out", help="folder for report.html and its PNGs (default RUN_DIR/report)")
    report.add_argument("--panels", type=int, default=3, help="best and worst images shown (default 3 each)")
    report.add_argument("--device", default="auto")
    report.add_argument("overrides", nargs="*", metavar="key=value", help="e.g. data.root=... infer.tta=true")

    demo = commands.add_parser("demo", help="train, evaluate and predict on the built-in synthetic data")
    demo.add_argument("--out", default="runs/demo")
    demo.add_argument("overrides", nargs="*", metavar="key=value")
    return parser


def _split_overrides(items: list[str]) -> tuple[list[str], list[str]]:
    """Separate key=value overrides from paths (a path may contain '=' only if it exists)."""
    overrides = [i for i in items if "=" in i and not Path(i).exists()]
    return [i for i in items if i not in overrides], overrides


def _cmd_train(args) -> int:
    from .apps.train import default_run_dir, train_from_config
    from .metrics import format_table
    if args.nproc != 1:
        from .apps.launch import check_before_launch, launch_ranks
        out = args.out or str(default_run_dir(args.config, args.overrides))
        check_before_launch(args.config, args.overrides, out, args.resume)   # one error here, not one per rank
        launch_ranks(args.nproc, [*(["--verbose"] if args.verbose else []), "train",
                                  *(["--config", args.config] if args.config else []), "--out", out,
                                  *(["--resume"] if args.resume else []),
                                  *(["--folds", str(args.folds)] if args.folds else []), *args.overrides], out)
        return 0
    from .train.distributed import ranks_from_environment
    result = train_from_config(args.config, args.out, args.resume, args.folds, args.overrides)
    if not ranks_from_environment().is_main:
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


def _cmd_evaluate(args) -> int:
    from .apps.evaluate import evaluate_checkpoint
    from .metrics import format_per_class_table, format_table
    metrics = evaluate_checkpoint(args.checkpoint, args.split, args.config, args.overrides, args.json, args.device,
                                  args.report, args.per_image, args.surface, args.tolerance,
                                  args.choose_postprocessing)
    if "postprocess" in metrics:
        chosen = metrics["postprocess"]
        print(f"post-processing chosen on {args.split}: {', '.join(chosen['chosen']) or 'none'} "
              f"(min_size {chosen['min_size']}): score {chosen['score_before']:.4f} -> {chosen['score_after']:.4f}; "
              f"stored in {args.checkpoint[0]}")
    print(format_table(metrics))
    if args.report:
        print()
        print(format_per_class_table(metrics))
        print(f"report written to {args.report} (metrics.json, iou.png, recall.png, precision.png, f1.png, "
              f"confusion_matrix.png)")
    if args.per_image:
        print(f"per-image metrics (worst first) written to {args.per_image}")
    if args.json:
        print(f"metrics written to {args.json}")
    return 0


def _cmd_export(args) -> int:
    from .apps.export import export_checkpoint, quantize_export
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


def _cmd_serve(args) -> int:
    from .apps.serve import ServeLimits, serve
    if args.workers < 1 or args.max_mb <= 0 or args.max_pixels < 1:
        raise ConfigError("--workers, --max-mb and --max-pixels must be positive")
    limits = ServeLimits(int(args.max_mb * 1024 * 1024), args.max_pixels, args.workers)
    serve(args.checkpoint, args.model, args.host, args.port, limits, args.device, args.overrides)
    return 0


def _cmd_predict(args) -> int:
    from .apps.predict import measure_speed, predict
    from .apps.prediction_outputs import OutputOptions
    inputs, overrides = _split_overrides(args.inputs)
    if args.fps:
        speed = measure_speed(args.checkpoint or args.model, inputs, args.fps, overrides, args.device, args.tta)
        print(f"{speed['image'].name} ({speed['width']}x{speed['height']}): {speed['images_per_second']:.2f} images/s, "
              f"{speed['ms_per_image']:.1f} ms/image over {args.fps} warm repetitions "
              f"({speed['device']}, {speed['precision']})")
        return 0
    options = OutputOptions(overlay=args.overlay, probabilities=args.probs_format if args.probs else None,
                            panel=args.panel, contours=args.contours, alpha=args.alpha, palette=args.palette)
    summary = predict(args.checkpoint or args.model, inputs, args.out, options, args.roi, args.masks, overrides, args.device,
                      args.tta)
    for video, frames, out_path in summary.videos:
        print(f"{video}: {frames} frames -> {out_path}")
    if summary.written or summary.skipped:
        print(f"wrote {len(summary.written)} files to {args.out}" +
              (f"; skipped {len(summary.skipped)} unreadable inputs" if summary.skipped else ""))
    return _nothing_done(summary, "predicted")


def _nothing_done(summary, verb: str) -> int:
    """Exit status 1 (said on stderr) when inputs were given but every one was skipped, so a script
    can tell that nothing came out; 0 otherwise."""
    if summary.skipped and not summary.written and not getattr(summary, "videos", None):
        print(f"unetkit: error: nothing {verb}: all {len(summary.skipped)} inputs were unreadable "
              f"(first: {summary.skipped[0]})", file=sys.stderr)
        return 1
    return 0


def _cmd_cam(args) -> int:
    from .apps.cam import checkpoint_layers, explain_images
    if args.list_layers:
        for layer in checkpoint_layers(args.checkpoint):
            print(layer.describe())
        return 0
    if not args.inputs:
        raise UnetkitError("cam: give images or folders to explain (or --list-layers)")
    classes = [c for item in args.classes or [] for c in item.split(",") if c]
    summary = explain_images(args.checkpoint, args.inputs, args.out, classes or None, args.layers, args.sweep,
                             args.method, args.region, args.masks, args.alpha, args.device,
                             not args.no_faithfulness, score=args.score)
    if not args.no_faithfulness:
        print("faithfulness (deletion: 1 - mean class score with the top 5..50% pixels blurred; random order in brackets)")
    for row in summary.rows:
        score = "absent" if row["absent"] else _score(row["faithfulness"]) + f" [{_score(row['random_baseline'])}]"
        print(f"{Path(row['image']).name}  {row['class']}  {row['layer']}  {score if not args.no_faithfulness else ''}")
    print(f"wrote {len(summary.written)} files to {args.out}" +
          (f"; skipped {len(summary.skipped)} unreadable inputs" if summary.skipped else ""))
    return _nothing_done(summary, "explained")


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _cmd_inspect(args) -> int:
    import json

    from .apps.inspect import format_inspection, inspect_dataset, inspection_report
    plan = inspect_dataset(args.root, args.overrides)
    print(json.dumps(inspection_report(plan), indent=2) if args.json else format_inspection(plan))
    return 0


def _cmd_weights_map(args) -> int:
    from .apps.weights_map import write_weight_map
    result = write_weight_map(args.config, args.image, args.out, args.overrides)
    print(f"{result['image']}: weights {result['min']:.2f} .. {result['max']:.2f} -> {args.out}")
    return 0


def _cmd_compare(args) -> int:
    from .apps.experiments import compare, experiments_from_paths
    items, overrides = _split_overrides(args.items)
    result = _run_comparison(compare, experiments_from_paths(items, overrides), args)
    print(result["table"], end="")
    print(f"written to {args.out}: compare.md, compare.json, compare.png")
    return 0


def _cmd_sweep(args) -> int:
    from .apps.experiments import compare, experiments_from_sweep
    swept = [item for item in args.settings if "," in item.partition("=")[2] and not item.partition("=")[2].startswith("[")]
    fixed = [item for item in args.settings if item not in swept]
    if not swept:
        raise ConfigError("sweep: give at least one KEY=V1,V2 (a comma-separated list of values)")
    args.out = args.out or f"runs/sweep-{Path(args.config).stem}"
    result = _run_comparison(compare, experiments_from_sweep(args.config, swept, fixed), args, plot_against_value=True)
    print(result["table"], end="")
    print(f"written to {args.out}: compare.md, compare.json, compare.png, sweep.png")
    return 0


def _run_comparison(compare, experiments, args, plot_against_value: bool = False) -> dict:
    if args.seeds < 1:
        raise ConfigError("--seeds must be at least 1")
    return compare(experiments, list(range(args.seeds)), args.out, args.split, args.device, plot_against_value,
                   args.checkpoint)


def _cmd_report(args) -> int:
    from .apps.report import write_run_report
    report = write_run_report(args.run, args.split, args.checkpoint, args.out, args.overrides, args.device,
                              args.panels)
    print(f"wrote {report.html} ({len(report.images)} figures embedded, also beside it as PNGs): "
          f"{', '.join(report.sections)}")
    return 0


def _cmd_demo(args) -> int:
    from .apps.demo import run_demo
    from .metrics import format_table
    metrics = run_demo(args.out, args.overrides)
    print("synthetic validation images:")
    print(format_table(metrics))
    print(f"overlays: {Path(args.out) / 'predictions'}/*_overlay.png; run: {args.out}")
    return 0


COMMANDS = {"train": _cmd_train, "evaluate": _cmd_evaluate, "predict": _cmd_predict, "cam": _cmd_cam,
            "inspect": _cmd_inspect, "weights-map": _cmd_weights_map, "export": _cmd_export, "serve": _cmd_serve, "report": _cmd_report,
            "compare": _cmd_compare, "sweep": _cmd_sweep,
            "demo": _cmd_demo}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    """Parse, letting key=value overrides and inputs also come after options (argparse stops a
    positional list at the first option, so `predict DIR --out X infer.tile=256` would fail)."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    unknown = [item for item in extra if item.startswith("-")]
    target = next((name for name in ("inputs", "items", "settings", "overrides") if hasattr(args, name)), None)
    if unknown or (extra and target is None):
        parser.error(f"unrecognized arguments: {' '.join(unknown or extra)}")
    if extra:
        setattr(args, target, [*getattr(args, target), *extra])
    return args


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):   # file names that are not valid UTF-8 print as \x.. escapes
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = _parse(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    from .train import Interrupted
    try:
        return COMMANDS[args.command](args)
    except UnetkitError as error:
        print(f"unetkit: error: {error}", file=sys.stderr)
        return 2
    except Interrupted as stopped:
        print(f"unetkit: interrupted; resume with: unetkit train --out {stopped} --resume", file=sys.stderr)
        return 130
    except Exception as error:
        from .runtime import is_out_of_memory
        if not is_out_of_memory(error):
            raise   # a bug: its traceback is what a report needs
        print(f"unetkit: error: out of memory in {args.command}: {MEMORY_ADVICE.get(args.command, INFER_ADVICE)}",
              file=sys.stderr)
        return 2


INFER_ADVICE = "lower infer.tile (e.g. infer.tile=512) and infer.batch (e.g. infer.batch=1), or set infer.tta=false"
MEMORY_ADVICE = {"train": "lower train.batch_size or data.patch_size (or model.base_channels)"}


if __name__ == "__main__":
    sys.exit(main())
