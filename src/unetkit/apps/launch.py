"""`unetkit train --nproc N`: start N training ranks on this machine through torchrun (PyTorch's own
launcher, run in this process), each one `python -m unetkit train ...` with the same arguments, and
turn a failed rank into one line saying which and how.

Exactly what `torchrun --standalone --nproc-per-node N -m unetkit train ...` does; several machines
need torchrun's rendezvous arguments (README, "Scaling out").
"""
from __future__ import annotations

import logging
import os
import signal

from ..errors import ConfigError, UnetkitError

log = logging.getLogger(__name__)


class RanksFailed(UnetkitError):
    """One or more ranks of a launched run ended with an error or a signal."""


def torchrun_arguments(nproc: int, command: list[str], monitor_seconds: float = 0.5) -> list[str]:
    """torchrun's own arguments for N ranks of `python -m unetkit <command>` on this machine."""
    return ["--standalone", "--nproc-per-node", str(nproc), "--max-restarts", "0",
            "--monitor-interval", str(monitor_seconds), "-m", "unetkit", *command]


def _describe(failure) -> str:
    code = failure.exitcode
    if code < 0:
        try:
            how = f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"was killed by signal {-code}"
    else:
        how = f"exited with code {code}" + (" (a configuration or data error: its message is above)"
                                            if code == 2 else "")
    return f"rank {failure.local_rank} (pid {failure.pid}) {how}"


def check_before_launch(config_path: str | None, overrides: list[str], out_dir: str, resume: bool) -> None:
    """The errors every rank would print alike, said once before any rank starts: a config that does
    not load, a run directory that is already a run (or, to resume, is not one)."""
    from ..config import load_config
    from ..train.run_dir import RunDir
    RunDir(out_dir).check(resume)
    if config_path != "auto" and not (resume and config_path is None):   # a resume reads the run's config.yaml
        load_config(config_path, overrides)


def launch_ranks(nproc: int, command: list[str], out_dir: str) -> None:
    """Run `unetkit <command>` as `nproc` ranks; returns when all finished, raises RanksFailed naming
    the first failed rank when one did not (torchrun stops the others as soon as one fails)."""
    if os.environ.get("WORLD_SIZE"):
        raise ConfigError("--nproc: this process is already one rank of a torchrun job (WORLD_SIZE is set); "
                          "leave --nproc out under torchrun")
    if nproc < 1:
        raise ConfigError(f"--nproc must be at least 1 (got {nproc})")
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run
    if "OMP_NUM_THREADS" not in os.environ:   # torchrun's default is 1 thread per rank; CPU ranks share the cores
        os.environ["OMP_NUM_THREADS"] = str(max(1, len(os.sched_getaffinity(0)) // nproc))
    log.info("starting %d ranks (OMP_NUM_THREADS=%s): torchrun %s", nproc, os.environ["OMP_NUM_THREADS"],
             " ".join(torchrun_arguments(nproc, command)))
    try:
        run(parse_args(torchrun_arguments(nproc, command)))
    except ChildFailedError as error:
        first = min(error.failures.values(), key=lambda failure: failure.timestamp)
        resume = ("" if first.exitcode == 2 else f" {out_dir}/last.pt keeps the last finished epoch: continue with "
                  f"unetkit train --nproc {nproc} --out {out_dir} --resume")
        raise RanksFailed(f"{_describe(first)}; torchrun stopped the other ranks.{resume}") from None
