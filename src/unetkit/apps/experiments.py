"""`unetkit compare` and `unetkit sweep`: several configurations trained with the same seeds and
budget, scored on the same split, summarised as mean +- std over seeds (Markdown, JSON, charts).

An experiment is a named list of runs, one per seed, each in OUT/<name>/seed<k>. A run that is
already finished is reused (its scores are cached in scores_<split>.json beside it); one that was
interrupted is resumed; a finished run directory can also be given instead of a config and is
taken as it is (one seed).
"""
from __future__ import annotations

import itertools
import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import load_config, sweep_values
from ..errors import ConfigError
from ..files import write_atomically, write_json
from ..metrics import every_evaluation_metrics
from ..models import load_checkpoint
from .evaluate import evaluate_checkpoint

log = logging.getLogger(__name__)

# every evaluation's metrics (metrics/names.py) but sensitivity and specificity, recall under other names
SCALARS = tuple(name for name in every_evaluation_metrics() if name not in ("sensitivity", "specificity"))


@dataclass
class Experiment:
    """One configuration: `config` (a YAML file) with `overrides`, or a finished `run` directory."""
    name: str
    config: Path | None = None
    overrides: list[str] = field(default_factory=list)
    run: Path | None = None
    value: str | None = None   # sweep: the swept value(s), for the metric-versus-value plot


def experiments_from_paths(paths: list[str], overrides: list[str]) -> list[Experiment]:
    """`compare`'s arguments: config files (named by their stem) or finished run directories."""
    experiments, names = [], set()
    for item in map(Path, paths):
        if item.is_dir() and (item / "best.pt").is_file():   # compare's own seed<k> runs: named with their folder
            name = f"{item.parent.name}-{item.name}" if item.name.startswith("seed") else item.name
            experiment = Experiment(name, run=item)
        elif item.is_file():
            experiment = Experiment(item.stem, config=item, overrides=list(overrides))
        else:
            raise ConfigError(f"{item}: neither a config file nor a finished run directory (with best.pt)")
        if experiment.name in names:
            experiment.name = f"{experiment.name}_{len(names)}"
        names.add(experiment.name)
        experiments.append(experiment)
    return experiments


def experiments_from_sweep(config: str | Path, settings: list[str]) -> list[Experiment]:
    """`sweep`'s settings: each KEY=V1,V2,... is swept, the others are fixed overrides; one experiment
    per combination of the swept values."""
    axes, overrides = [], []
    for item in settings:
        swept = sweep_values(item)
        if swept is None:
            overrides.append(item)
        else:
            key, values = swept
            axes.append([(key, value) for value in values])
    if not axes:
        raise ConfigError("sweep: give at least one KEY=V1,V2 (a comma-separated list of values)")
    experiments = []
    for combination in itertools.product(*axes):
        chosen = [f"{key}={value}" for key, value in combination]
        load_config(config, [*overrides, *chosen])   # a bad value fails now, before any training
        experiments.append(Experiment(",".join(chosen), Path(config), [*overrides, *chosen],
                                      value=",".join(value for _, value in combination)))
    return experiments


def _finished(run: Path, epochs: int) -> bool:
    """The run ended: all its epochs, or it stopped early (time budget, early stopping: metrics.json)."""
    if not (run / "last.pt").is_file():
        return False
    state = load_checkpoint(run / "last.pt")["train_state"]
    return state["epoch"] >= epochs or (run / "metrics.json").is_file()


def run_experiment(experiment: Experiment, seeds: list[int], out_dir: Path) -> list[Path]:
    """Train (or resume, or reuse) one run per seed; returns the run directories."""
    from .train import train_from_config
    if experiment.run is not None:
        return [experiment.run]
    runs = []
    for seed in seeds:
        run = out_dir / _safe(experiment.name) / f"seed{seed}"
        overrides = [*experiment.overrides, f"train.seed={seed}"]
        epochs = load_config(experiment.config, overrides).train.epochs
        if _finished(run, epochs):
            log.info("%s seed %d: finished run reused (%s)", experiment.name, seed, run)
        else:
            resume = (run / "last.pt").is_file()
            log.info("%s seed %d: %s %s", experiment.name, seed, "resuming" if resume else "training", run)
            train_from_config(experiment.config if not resume else run / "config.yaml", run, resume, None,
                              overrides if not resume else [])
        runs.append(run)
    return runs


def score_run(run: Path, split: str, device: str = "auto", checkpoint: str = "best") -> dict:
    """RUN/<checkpoint>.pt's metrics on `split`, cached in RUN/scores_<split>.json (scores_<split>_last.json
    for last.pt; recomputed when the checkpoint is newer). An epoch study scores last.pt: best.pt
    is the epoch validation liked best, whatever the number of epochs."""
    cache = run / (f"scores_{split}.json" if checkpoint == "best" else f"scores_{split}_{checkpoint}.json")
    weights = run / f"{checkpoint}.pt"
    if cache.is_file() and cache.stat().st_mtime >= weights.stat().st_mtime:
        return json.loads(cache.read_text())
    metrics = evaluate_checkpoint(weights, split, device=device)
    write_json(metrics, cache)
    return metrics


def summarize(scores: dict[str, list[dict]]) -> dict[str, dict]:
    """Per experiment: each scalar metric and each class's IoU as {'mean', 'std', 'values'} over runs
    (std is the sample standard deviation; 0 for a single run)."""
    summary = {}
    for name, runs in scores.items():
        entry: dict = {"runs": len(runs)}
        for key in SCALARS:
            values = [run[key] for run in runs if key in run]
            if values:
                entry[key] = _stats(values)
        classes = runs[0].get("iou_per_class", {}) if runs else {}
        entry["iou_per_class"] = {cls: _stats([run["iou_per_class"][cls] for run in runs]) for cls in classes}
        summary[name] = entry
    return summary


def _stats(values: list[float]) -> dict:
    array = np.asarray(values, dtype=float)
    std = float(array.std(ddof=1)) if len(array) > 1 else 0.0
    return {"mean": float(array.mean()), "std": std, "values": [float(v) for v in array]}


def markdown_table(summary: dict[str, dict], split: str) -> str:
    """Metrics as rows of mean +- std, one column per experiment; then the per-class IoU."""
    names = list(summary)
    keys = [key for key in SCALARS if all(key in summary[name] for name in names)]

    def cell(stats: dict) -> str:
        if math.isnan(stats["mean"]):
            return "n/a"
        # one run has no spread to show: its value alone
        return f"{stats['mean']:.4f}" + (f" ± {stats['std']:.4f}" if len(stats["values"]) > 1 else "")
    runs = ", ".join(f"{name}: {summary[name]['runs']}" for name in names)
    lines = [f"Test metrics on the {split} split, mean ± std over runs ({runs}; one run: its value).", "",
             "| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    lines += [f"| {key} | " + " | ".join(cell(summary[name][key]) for name in names) + " |" for key in keys]
    classes = list(summary[names[0]]["iou_per_class"]) if names else []
    if len(classes) > 2:
        lines += ["", "| IoU per class | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        lines += [f"| {cls} | " + " | ".join(cell(summary[name]["iou_per_class"][cls]) for name in names) + " |"
                  for cls in classes]
    return "\n".join(lines) + "\n"


def compare(experiments: list[Experiment], seeds: list[int], out_dir: str | Path, split: str = "test",
            device: str = "auto", plot_against_value: bool = False, checkpoint: str = "best") -> dict:
    """Run and score every experiment; write compare.md, compare.json and compare.png (and, for a
    sweep, sweep.png: the metric against the swept value) into `out_dir`."""
    from ..viz.charts import grouped_bar_chart, metric_versus_value
    out_dir = Path(out_dir)
    scores, runs = {}, {}
    for experiment in experiments:
        runs[experiment.name] = run_experiment(experiment, seeds, out_dir)
        scores[experiment.name] = [score_run(run, split, device, checkpoint) for run in runs[experiment.name]]
    summary = summarize(scores)
    table = markdown_table(summary, split)
    write_atomically(out_dir / "compare.md", lambda file: file.write(table.encode()))
    write_json({"split": split, "checkpoint": checkpoint, "seeds": seeds,
                "runs": {name: [str(run) for run in paths] for name, paths in runs.items()},
                "summary": summary}, out_dir / "compare.json")
    figures = [grouped_bar_chart(summary, [key for key in ("f1", "miou", "auc", "mean_accuracy")
                                           if all(key in entry for entry in summary.values())],
                                 out_dir / "compare.png")]
    if plot_against_value:
        figures.append(metric_versus_value(summary, {e.name: e.value for e in experiments}, out_dir / "sweep.png"))
    return {"summary": summary, "table": table, "runs": runs, "figures": figures}


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.=," else "_" for c in name)[:120]
