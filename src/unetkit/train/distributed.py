"""Data-parallel training over several processes with PyTorch's own engine: torch.distributed for
the collectives, DistributedDataParallel for the gradients, torchrun for starting the ranks.

A run of N ranks is the run of one process whose batch is N times larger: every rank takes a
disjoint share of the epoch's patches (DistributedSampler without shuffling over PatchDataset, whose
item i of epoch e is a pure function of (seed, e, i)), DDP averages the gradients, and the ranks agree
on everything that decides what happens next (the mean loss, the time budget, a stop request, the
validation metrics) through one small all-reduce per step and one per validation. Only rank 0 logs,
shows progress and writes the run directory.

All of it sits behind one object, the run's strategy: `SingleProcess` (every collective a no-op, this
process writes) or `DataParallel` (the process group, the collectives, the sampler's split, rank 0
alone writing). The trainer, its set-up, k-fold runs and the train command ask the strategy; none of
them looks at ranks. `strategy_from_environment()` chooses: torchrun sets RANK, WORLD_SIZE, LOCAL_RANK
(and MASTER_ADDR/PORT) in each rank's environment; without them this is a one-process run.
"""
from __future__ import annotations

import datetime
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist

from ..errors import ConfigError, UnetkitError
from .run_dir import PeerRunDir, RunDir

log = logging.getLogger(__name__)


class RankFailed(UnetkitError):
    """Another rank stopped (crashed, killed, timed out) while this one waited for it."""


@dataclass(frozen=True)
class Ranks:
    """This process's place among the training processes."""
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1            # the ranks on this machine

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


ONE_PROCESS = Ranks()


def ranks_from_environment(environ=os.environ) -> Ranks:
    """The ranks torchrun describes in the environment (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE)."""
    try:
        world_size = int(environ.get("WORLD_SIZE", "1"))
        rank, local_rank = int(environ.get("RANK", "0")), int(environ.get("LOCAL_RANK", "0"))
        local_world_size = int(environ.get("LOCAL_WORLD_SIZE", str(world_size)))
    except ValueError:
        raise ConfigError(f"RANK/WORLD_SIZE/LOCAL_RANK/LOCAL_WORLD_SIZE must be integers (got "
                          f"RANK={environ.get('RANK')!r}, WORLD_SIZE={environ.get('WORLD_SIZE')!r}, "
                          f"LOCAL_RANK={environ.get('LOCAL_RANK')!r}, "
                          f"LOCAL_WORLD_SIZE={environ.get('LOCAL_WORLD_SIZE')!r})") from None
    if world_size < 1 or not 0 <= rank < world_size:
        raise ConfigError(f"RANK={rank} does not fit WORLD_SIZE={world_size}")
    return Ranks(rank, world_size, local_rank, max(1, local_world_size))


def strategy_from_environment(environ=os.environ) -> SingleProcess:
    """The strategy of this process: DataParallel under torchrun (WORLD_SIZE > 1), else SingleProcess."""
    ranks = ranks_from_environment(environ)
    return DataParallel(ranks) if ranks.distributed else SingleProcess()


class NoWriter:
    """TensorBoard's writer for the ranks other than 0: they write nothing."""

    def add_scalar(self, *args, **kwargs) -> None: ...

    def add_image(self, *args, **kwargs) -> None: ...

    def close(self) -> None: ...


class SingleProcess:
    """One training process: it writes the run directory, and every collective is a no-op."""
    ranks: Ranks = ONE_PROCESS
    distributed = False

    @property
    def rank(self) -> int:
        return self.ranks.rank

    @property
    def world_size(self) -> int:
        return self.ranks.world_size

    @property
    def is_main(self) -> bool:
        """This process logs, shows progress and writes (rank 0)."""
        return self.ranks.is_main

    # the process group and the device
    def device(self, device: torch.device) -> torch.device:
        """The device this process trains on."""
        return device

    @contextmanager
    def session(self, device: torch.device, timeout_seconds: float) -> Iterator[None]:
        """The process group around a run (or all folds of one); nothing for one process."""
        yield

    def collective(self, what: str):
        """Around calls that wait for the other ranks (see DataParallel)."""
        return nullcontext()

    def barrier(self, what: str) -> None:
        """Wait until every rank got here."""

    # writing: rank 0 alone
    def run_dir(self, path: str | Path) -> RunDir:
        """The run directory as this process sees it (only rank 0's writes)."""
        return RunDir(path)

    def writer(self, run_dir: RunDir):
        """TensorBoard's writer into the run directory (rank 0), or one that writes nothing."""
        if not self.is_main:
            return NoWriter()
        try:
            from torch.utils.tensorboard import (
                SummaryWriter,  # imported here: it is slow, and only training needs it
            )
        except ImportError:   # the `tensorboard` extra is not installed: train without its logs
            logging.getLogger(__name__).info("no tensorboard/ logs: TensorBoard is not installed (pip install "
                                             "'unetkit[tensorboard]'); history.jsonl has every epoch")
            return NoWriter()
        return SummaryWriter(str(run_dir.tensorboard))

    def on_main(self, function: Callable, *args, **kwargs):
        """`function(*args, **kwargs)` on rank 0 only (a file every rank would write); None elsewhere."""
        return function(*args, **kwargs) if self.is_main else None

    # the training step
    def sampler(self, dataset) -> torch.utils.data.Sampler | None:
        """The sampler of the epoch's patches: None, all of them in index order."""
        return None

    def cores_per_rank(self) -> int:
        """The CPU cores of this machine available to this process's loader workers."""
        return len(os.sched_getaffinity(0)) // self.ranks.local_world_size

    def learning_rate_scale(self, scaling: str) -> float:
        """train.lr_scaling: 'linear' multiplies the learning rate by the number of ranks (the global batch
        grows with them; Goyal et al. 2017), 'none' keeps it."""
        return float(self.world_size) if scaling == "linear" else 1.0

    def sync_batchnorm(self, model: torch.nn.Module, device: torch.device, wanted: bool) -> torch.nn.Module:
        """train.sync_batchnorm: BatchNorm statistics over the global batch (several ranks only)."""
        return model

    def training_forward(self, model: torch.nn.Module, device: torch.device, frozen: bool) -> torch.nn.Module | None:
        """The module the training step calls in this encoder phase when it must change (None: keep it)."""
        return None

    def pixel_share(self, denominator: Callable[[torch.Tensor], torch.Tensor] | None):
        """A loss factor per step that makes the ranks' gradients the one-process gradient (DataParallel);
        None: each rank's own mean, and always for one process."""
        return None

    def check_stop(self, stop) -> None:
        """Before a step: stop now when asked (Ctrl-C, SIGTERM). Several ranks agree on it after the step."""
        stop.check()

    def agree(self, loss: torch.Tensor, seconds: float, stop_requested: bool) -> tuple[float, float, bool]:
        """The step's mean loss, the training clock and whether to stop, the same on every rank."""
        return loss.item(), seconds, stop_requested

    # validation
    def same_buffers(self, model: torch.nn.Module) -> None:
        """Every rank takes rank 0's buffers (BatchNorm running statistics)."""

    def share(self, items: list) -> list:
        """This rank's share of `items` to score."""
        return items

    def reduce_scores(self, metrics, scorers: list) -> None:
        """Combine the ranks' validation accumulators in place."""


START = "the start of the run"
LOST_PEER = ("gloo", "nccl", "connection reset", "connection closed", "timed out", "timeout", "broken pipe")


def _lost_peer(error: BaseException) -> bool:
    """Whether `error` is a collective's failure (a peer gone or too slow), not a bug of this rank."""
    return isinstance(error, dist.DistError) or any(word in str(error).lower() for word in LOST_PEER)


class DataParallel(SingleProcess):
    """One of several ranks started by torchrun: DDP for the gradients, torch.distributed for the rest."""
    distributed = True

    def __init__(self, ranks: Ranks):
        self.ranks = ranks
        self._wrapped: tuple[torch.nn.Module, bool] | None = None   # the model and encoder phase DDP wraps now

    def device(self, device: torch.device) -> torch.device:
        """One GPU per rank (cuda:LOCAL_RANK) when training on CUDA; the CPU otherwise."""
        if device.type != "cuda":
            return device
        if self.ranks.local_rank >= torch.cuda.device_count():
            raise ConfigError(f"LOCAL_RANK={self.ranks.local_rank} but this machine has {torch.cuda.device_count()} "
                              f"GPU(s): start at most that many ranks per node (--nproc_per_node)")
        torch.cuda.set_device(self.ranks.local_rank)
        return torch.device("cuda", self.ranks.local_rank)

    @contextmanager
    def session(self, device: torch.device, timeout_seconds: float) -> Iterator[None]:
        """torch.distributed's process group for the run (nccl on CUDA, gloo on CPU), torn down after it;
        inside an open one (k folds in one group), nothing more. A collective that waits longer than
        `timeout_seconds` for another rank fails instead of hanging."""
        if dist.is_initialized():
            yield
            return
        self._quiet_other_ranks()
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout_seconds),
                                **({"device_id": device} if device.type == "cuda" else {}))
        log.info("%d ranks (%s on %s), a collective waits at most %g s for the others", self.world_size, backend,
                 device.type, timeout_seconds)
        try:
            yield
            # ranks leave together (not after a failure): a rank that tore gloo down while rank 0 was still
            # calibrating was once aborted ("terminate called without an active exception")
            self.barrier("the end of the run")
        finally:
            dist.destroy_process_group()

    def _quiet_other_ranks(self) -> None:
        """Ranks other than 0 print warnings and errors only, marked with their rank."""
        if self.is_main:
            return
        logging.getLogger("unetkit").setLevel(logging.WARNING)
        for handler in logging.getLogger().handlers:
            handler.setFormatter(logging.Formatter(f"%(asctime)s [rank {self.rank}] %(message)s", "%H:%M:%S"))

    @contextmanager
    def collective(self, what: str) -> Iterator[None]:
        """Collective calls (DDP's gradient all-reduce inside a step included) whose failure because a peer
        died or timed out becomes one clear error; any other error passes unchanged."""
        try:
            yield
        except RuntimeError as error:
            if not _lost_peer(error):
                raise
            first = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
            advice = ("its own error says why" if what == START else
                      "the run stops here, last.pt keeps the last finished epoch: continue with --resume")
            raise RankFailed(f"rank {self.rank} of {self.world_size}: another rank stopped answering during {what} "
                             f"({first}); {advice}") from None

    def barrier(self, what: str) -> None:
        with self.collective(what):
            dist.barrier()

    def run_dir(self, path: str | Path) -> RunDir:
        """Rank 0's run directory; the other ranks read it and write nothing."""
        return RunDir(path) if self.is_main else PeerRunDir(path)

    def sampler(self, dataset) -> torch.utils.data.Sampler:
        """Every world_size-th patch from this rank on (unshuffled: the patches themselves are random), so
        the ranks' batches of a step together are the one-process batch of batch_size x world_size."""
        from torch.utils.data import DistributedSampler
        return DistributedSampler(dataset, self.world_size, self.rank, shuffle=False, drop_last=True)

    def sync_batchnorm(self, model: torch.nn.Module, device: torch.device, wanted: bool) -> torch.nn.Module:
        """PyTorch's SyncBatchNorm, which runs on GPUs only; on the CPU each rank keeps its own batch
        statistics, and says so."""
        if not wanted:
            return model
        if device.type != "cuda":
            log.warning("train.sync_batchnorm: PyTorch's SyncBatchNorm runs on CUDA only; on %s each rank normalises "
                        "with its own batch's statistics", device.type)
            return model
        return torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)

    def training_forward(self, model: torch.nn.Module, device: torch.device, frozen: bool) -> torch.nn.Module | None:
        """DistributedDataParallel around the model. DDP averages the gradients of the parameters that
        learn when it is built (a frozen encoder is left out), so a change of phase (or a fold's new
        model) wraps again."""
        if self._wrapped is not None and self._wrapped[0] is model and self._wrapped[1] == frozen:
            return None
        from torch.nn.parallel import DistributedDataParallel
        self._wrapped = (model, frozen)
        return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    def pixel_share(self, denominator: Callable[[torch.Tensor], torch.Tensor] | None):
        """For a loss that is a mean over pixels (Loss.mean_over): labels -> world_size x this rank's share of
        the step's denominator (its valid pixels, or their class weights). DDP averages the ranks' gradients;
        with each rank's mean loss multiplied by this, the average is the gradient of the mean over all the
        ranks' pixels, as one process computes it, however many pixels each rank's patches leave out (ROI,
        ignore label). None (each rank's own mean) for other losses."""
        if denominator is None:
            return None

        def weight(labels: torch.Tensor) -> torch.Tensor:
            local = denominator(labels).detach().float().reshape(1)
            total = local.clone()
            with self.collective("the training step"):
                dist.all_reduce(total)
            return (self.world_size * local / total.clamp_min(1e-12))[0]
        return weight

    def check_stop(self, stop) -> None:
        """Nothing before the step: a stop request is agreed after it (agree), so all ranks stop together."""

    def agree(self, loss: torch.Tensor, seconds: float, stop_requested: bool) -> tuple[float, float, bool]:
        """The step's mean loss over the ranks, the training clock (`seconds`: the slowest rank's) and
        whether any rank was asked to stop: every rank then takes the same decisions at the same step --
        the time budget, the schedule's point in it -- (one all-reduce of a few numbers)."""
        values = torch.stack([loss.detach().float().reshape(()),
                              torch.tensor(float(stop_requested), device=loss.device)])
        clock = torch.tensor([seconds], dtype=torch.float64, device=loss.device)
        with self.collective("the training step"):
            dist.all_reduce(values)
            dist.all_reduce(clock, op=dist.ReduceOp.MAX)
        total, stops = values.tolist()
        return total / self.world_size, clock.item(), stops > 0

    def same_buffers(self, model: torch.nn.Module) -> None:
        """DDP broadcasts rank 0's buffers before each forward pass, so after the last step each rank holds
        the statistics of its own last batch; validation and best.pt (written by rank 0) then use rank
        0's, on every rank."""
        with self.collective("validation"):
            for buffer in model.buffers():
                dist.broadcast(buffer, src=0)

    def share(self, items: list) -> list:
        """Every world_size-th item, from this rank on."""
        return items[self.rank::self.world_size]

    def reduce_scores(self, metrics, scorers: list) -> None:
        """So every rank holds the metrics of all images: the confusion matrix, the AUC histograms and the
        calibration bins are summed (all-reduce), the extra scorers (pixel error, Rand error) are gathered and merged in rank
        order."""
        with self.collective("validation"):
            for tensor in metrics.summed_tensors():
                dist.all_reduce(tensor)
            if scorers:
                gathered: list = [None] * self.world_size
                dist.all_gather_object(gathered, scorers)
                for index, scorer in enumerate(scorers):
                    scorer.merge_all([shares[index] for shares in gathered])
