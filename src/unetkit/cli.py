"""Command line: the table of commands and the exit codes. Each command (apps/commands/<name>.py)
declares its arguments and its run; user errors (UnetkitError) become one line on stderr and their exit
code (2; 1 when the inputs held nothing to work on).
"""
from __future__ import annotations

import argparse
import logging
import sys

from .apps.commands import (
    cam,
    compare,
    demo,
    evaluate,
    export,
    inspect,
    label_studio,
    predict,
    report,
    review,
    serve,
    sweep,
    train,
    weights,
    weights_map,
)
from .apps.commands.export import EXPORT_FORMAT_NAMES
from .errors import UnetkitError

__all__ = ["COMMANDS", "EXPORT_FORMAT_NAMES", "main"]

COMMANDS = {"train": train, "evaluate": evaluate, "predict": predict, "cam": cam, "inspect": inspect,
            "weights-map": weights_map, "weights": weights, "export": export, "serve": serve, "compare": compare, "sweep": sweep,
            "report": report, "review": review, "label-studio": label_studio, "demo": demo}

# modules of the optional extras (pyproject.toml) -> the extra that installs them
OPTIONAL_MODULES = {"onnx": "export", "onnxruntime": "export", "fastapi": "serve", "uvicorn": "serve",
                    "multipart": "serve", "python_multipart": "serve", "starlette": "serve",
                    "pytorch_grad_cam": "explain", "tensorboard": "tensorboard",
                    "httpx": "label-studio"}

INFER_ADVICE = "lower infer.tile (e.g. infer.tile=512) and infer.batch (e.g. infer.batch=1), or set infer.tta=false"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="unetkit", description="Train, evaluate and predict U-Net segmentation models.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        command.add_arguments(commands.add_parser(name, help=command.HELP, description=command.HELP))
    return parser


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
    command = COMMANDS[args.command]
    try:
        return command.run(args)
    except UnetkitError as error:
        print(f"unetkit: error: {error}", file=sys.stderr)
        return error.exit_code
    except Interrupted as stopped:
        print(f"unetkit: interrupted; resume with: unetkit train --out {stopped} --resume", file=sys.stderr)
        return 130
    except ModuleNotFoundError as error:
        extra = OPTIONAL_MODULES.get((error.name or "").split(".")[0])
        if extra is None:
            raise   # a module unetkit always needs: a broken install, whose traceback says which
        print(f"unetkit: error: {args.command} needs the '{extra}' extra ({error.name} is not installed): "
              f"pip install 'unetkit[{extra}]'", file=sys.stderr)
        return 2
    except Exception as error:
        from .runtime import is_out_of_memory
        if not is_out_of_memory(error):
            raise   # a bug: its traceback is what a report needs
        advice = getattr(command, "MEMORY_ADVICE", INFER_ADVICE)
        print(f"unetkit: error: out of memory in {args.command}: {advice}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
