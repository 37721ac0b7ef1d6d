"""`unetkit train`: a config file and overrides in, a run directory out (or k runs for --folds).

Without a config file (or with `--config auto`), the dataset in data.root is fingerprinted and the
automatic plan (train/plan.py) chooses the config; plan.yaml (the config with a reason per choice)
and inspect.json (the fingerprint) are written into the run directory before training starts.
"""
from __future__ import annotations

import time
from pathlib import Path

from ..config import load_config, override_values, parse_overrides
from ..errors import CheckpointError
from ..files import write_atomically, write_json
from ..output_paths import output_folder
from ..runtime import resolve_device
from ..train import train
from ..train.distributed import strategy_from_environment
from ..train.folds import train_folds
from ..train.plan import make_plan

AUTO = "auto"


def default_run_dir(config_path: str | Path | None, overrides: list[str] | None = None) -> Path:
    """runs/<config file name>; for the automatic plan runs/auto-<dataset folder name>."""
    if config_path in (None, AUTO):
        root = override_values(overrides).get("data.root")
        return Path("runs") / (f"auto-{Path(str(root)).resolve().name}" if root else "default")
    return Path("runs") / Path(config_path).stem


def wants_plan(config_path: str | Path | None, overrides: list[str] | None) -> bool:
    """`--config auto`, or no config file with a data.root to plan from."""
    return config_path == AUTO or (config_path is None and any(o.key == "data.root" for o in parse_overrides(overrides)))


def train_from_config(config_path: str | Path | None = None, out: str | Path | None = None, resume: bool = False,
                      folds: int | None = None, overrides: list[str] | None = None) -> dict:
    """Train as the command does: --resume without --config reuses the run's own config.yaml.

    Returns the trainer's result, or for `folds` the summary written to folds.json; both with 'run_dir'
    (and 'plan', the plan's path, when the plan chose the config).
    """
    started = time.perf_counter()
    overrides = list(overrides or [])
    out = output_folder(Path(out) if out else default_run_dir(config_path, overrides), create=False)
    if resume and config_path in (None, AUTO):
        if (out / "config.yaml").is_file():
            config_path = out / "config.yaml"
        elif not any(out.glob("fold_*/last.pt")):   # a --folds run keeps its config per fold
            raise CheckpointError(f"{out}: nothing to resume (no config.yaml or last.pt there; train without "
                                  f"--resume first)")
    plan_file = None
    strategy = strategy_from_environment()
    if wants_plan(config_path, overrides) and not resume:
        strategy.run_dir(out).check(resume=False)   # refuse an existing run before the planning time is spent;
        # the folder is made once there is a plan to write (a refused plan leaves no empty run behind)
        # several ranks must agree on the plan: without the timed speed probe it is the same on each
        plan = make_plan(overrides, probe=not folds and not strategy.distributed, planning_started=started)
        plan_file = strategy.on_main(_write_plan, plan, out)
        config = plan.config
    else:
        config = load_config(None if config_path == AUTO else config_path, overrides)
    # one process group for all folds of the run (torchrun's ranks; a no-op for one process)
    with strategy.session(strategy.device(resolve_device(config.train.device)), config.train.rank_timeout):
        result = (train_folds(config, out, folds, resume=resume, strategy=strategy) if folds
                  else train(config, out, resume=resume, strategy=strategy))
    return {**result, "run_dir": out, **({"plan": plan_file} if plan_file else {})}


def _write_plan(plan, out: Path) -> Path:
    """plan.yaml (the config with a reason per choice) and inspect.json (the fingerprint) into the run."""
    plan_file = write_atomically(out / "plan.yaml", lambda file: file.write(plan.to_yaml().encode()))
    write_json(plan.fingerprint.to_dict(), out / "inspect.json")
    return plan_file

