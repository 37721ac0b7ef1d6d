"""The commands, one module each: the only code that reads user-named paths and writes user files.

Each command's arguments and its run (which calls one function here and prints) are in commands/,
which cli.py assembles; the Python API offers the same calls.
"""
from .cam import checkpoint_layers, explain_images
from .demo import run_demo
from .evaluate import evaluate_checkpoint
from .inspect import format_inspection, inspect_dataset, inspection_report
from .predict import measure_speed, predict, predict_files
from .prediction_outputs import OutputOptions
from .train import train_from_config
from .weights_map import write_weight_map

__all__ = ["OutputOptions", "checkpoint_layers", "evaluate_checkpoint", "explain_images", "format_inspection", "inspect_dataset",
           "inspection_report", "measure_speed", "predict", "predict_files", "run_demo",
           "train_from_config", "write_weight_map"]
