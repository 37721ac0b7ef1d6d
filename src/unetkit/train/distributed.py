"""Data-parallel training over several processes with PyTorch's own engine: torch.distributed for
the collectives, DistributedDataParallel for the gradients, torchrun for starting the ranks.

A run of N ranks is the run of one process whose batch is N times larger: every rank takes a
disjoint share of the epoch's patches (DistributedSampler without shuffling over PatchDataset, whose
item i of epoch e is a pure function of (seed, e, i)), DDP averages the gradients, and the ranks agree
on everything that decides what happens next (the mean loss, the time budget, a stop request, the
validation metrics) through one small all-reduce per step and one per validation. Only rank 0 logs,
shows progress and writes the run directory.

torchrun sets RANK, WORLD_SIZE, LOCAL_RANK (and MASTER_ADDR/PORT) in each rank's environment; without
them this is a one-process run and every function here is a no-op.
"""
from __future__ import annotations

import datetime
import logging
import os
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.distributed as dist

from ..errors import ConfigError, UnetkitError

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


def rank_device(ranks: Ranks, device: torch.device) -> torch.device:
    """One GPU per rank (cuda:LOCAL_RANK) when training on CUDA; the CPU otherwise."""
    if device.type != "cuda" or not ranks.distributed:
        return device
    if ranks.local_rank >= torch.cuda.device_count():
        raise ConfigError(f"LOCAL_RANK={ranks.local_rank} but this machine has {torch.cuda.device_count()} GPU(s): "
                          f"start at most that many ranks per node (--nproc_per_node)")
    torch.cuda.set_device(ranks.local_rank)
    return torch.device("cuda", ranks.local_rank)


@contextmanager
def process_group(ranks: Ranks, device: torch.device, timeout_seconds: float):
    """torch.distributed's process group for the run (nccl on CUDA, gloo on CPU), torn down after it.
    A collective that waits longer than `timeout_seconds` for another rank fails instead of hanging."""
    if not ranks.distributed or dist.is_initialized():
        yield
        return
    quiet_other_ranks(ranks)
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout_seconds),
                            **({"device_id": device} if device.type == "cuda" else {}))
    log.info("%d ranks (%s on %s), a collective waits at most %g s for the others", ranks.world_size, backend,
             device.type, timeout_seconds)
    try:
        yield
    finally:
        dist.destroy_process_group()


START = "the start of the run"
LOST_PEER = ("gloo", "nccl", "connection reset", "connection closed", "timed out", "timeout", "broken pipe")


def _lost_peer(error: BaseException) -> bool:
    """Whether `error` is a collective's failure (a peer gone or too slow), not a bug of this rank."""
    return isinstance(error, dist.DistError) or any(word in str(error).lower() for word in LOST_PEER)


@contextmanager
def collective(what: str, ranks: Ranks):
    """Collective calls (DDP's gradient all-reduce inside a step included) whose failure because a peer
    died or timed out becomes one clear error; any other error passes unchanged."""
    if not ranks.distributed:
        yield
        return
    try:
        yield
    except RuntimeError as error:
        if not _lost_peer(error):
            raise
        first = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        advice = ("its own error says why" if what == START else
                  "the run stops here, last.pt keeps the last finished epoch: continue with --resume")
        raise RankFailed(f"rank {ranks.rank} of {ranks.world_size}: another rank stopped answering during {what} "
                         f"({first}); {advice}") from None


def barrier(ranks: Ranks, what: str) -> None:
    with collective(what, ranks):
        if ranks.distributed:
            dist.barrier()


def agree(ranks: Ranks, loss: torch.Tensor, seconds: float, stop_requested: bool) -> tuple[float, float, bool]:
    """The step's mean loss over the ranks, the training clock (`seconds`: the slowest rank's) and
    whether any rank was asked to stop: every rank then takes the same decisions at the same step --
    the time budget, the schedule's point in it -- (one all-reduce of a few numbers)."""
    if not ranks.distributed:
        return loss.item(), seconds, stop_requested
    values = torch.stack([loss.detach().float().reshape(()),
                          torch.tensor(float(stop_requested), device=loss.device)])
    clock = torch.tensor([seconds], dtype=torch.float64, device=loss.device)
    with collective("the training step", ranks):
        dist.all_reduce(values)
        dist.all_reduce(clock, op=dist.ReduceOp.MAX)
    total, stops = values.tolist()
    return total / ranks.world_size, clock.item(), stops > 0


def pixel_share(ranks: Ranks, denominator: Callable[[torch.Tensor], torch.Tensor] | None):
    """For a loss that is a mean over pixels (Loss.mean_over): labels -> world_size x this rank's share of
    the step's denominator (its valid pixels, or their class weights). DDP averages the ranks' gradients;
    with each rank's mean loss multiplied by this, the average is the gradient of the mean over all the
    ranks' pixels, as one process computes it, however many pixels each rank's patches leave out (ROI,
    ignore label). None (each rank's own mean) for other losses and for one process."""
    if not ranks.distributed or denominator is None:
        return None

    def weight(labels: torch.Tensor) -> torch.Tensor:
        local = denominator(labels).detach().float().reshape(1)
        total = local.clone()
        with collective("the training step", ranks):
            dist.all_reduce(total)
        return (ranks.world_size * local / total.clamp_min(1e-12))[0]
    return weight


def same_buffers(model: torch.nn.Module, ranks: Ranks) -> None:
    """Every rank takes rank 0's buffers (BatchNorm running statistics). DDP broadcasts them before each
    forward pass, so after the last step each rank holds the statistics of its own last batch; validation
    and best.pt (written by rank 0) then use rank 0's, on every rank."""
    if not ranks.distributed:
        return
    with collective("validation", ranks):
        for buffer in model.buffers():
            dist.broadcast(buffer, src=0)


def share(items: list, ranks: Ranks) -> list:
    """This rank's share of `items` (every world_size-th, from its rank on)."""
    return items[ranks.rank::ranks.world_size]


def reduce_scores(ranks: Ranks, metrics, scorers: list) -> None:
    """Combine the ranks' validation accumulators in place, so every rank holds the metrics of all
    images: the confusion matrix and the AUC histograms are summed (all-reduce), the extra scorers
    (pixel error, Rand error) are gathered and merged in rank order."""
    if not ranks.distributed:
        return
    with collective("validation", ranks):
        for tensor in (metrics.confusion, metrics.positive_histogram, metrics.negative_histogram):
            dist.all_reduce(tensor)
        if scorers:
            gathered: list = [None] * ranks.world_size
            dist.all_gather_object(gathered, scorers)
            for index, scorer in enumerate(scorers):
                scorer.merge_all([shares[index] for shares in gathered])


def wrap_model(model: torch.nn.Module, ranks: Ranks, device: torch.device) -> torch.nn.Module:
    """DistributedDataParallel around the model (its parameters that learn now: a frozen encoder is
    left out, so a change of phase wraps again)."""
    from torch.nn.parallel import DistributedDataParallel
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def sync_batchnorm(model: torch.nn.Module, ranks: Ranks, device: torch.device, wanted: bool) -> torch.nn.Module:
    """train.sync_batchnorm: BatchNorm statistics over the global batch (PyTorch's SyncBatchNorm, which
    runs on GPUs only; on the CPU each rank keeps its own batch statistics, and says so)."""
    if not wanted or not ranks.distributed:
        return model
    if device.type != "cuda":
        log.warning("train.sync_batchnorm: PyTorch's SyncBatchNorm runs on CUDA only; on %s each rank normalises "
                    "with its own batch's statistics", device.type)
        return model
    return torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)


def learning_rate_scale(ranks: Ranks, scaling: str) -> float:
    """train.lr_scaling: 'linear' multiplies the learning rate by the number of ranks (the global batch
    grows with them; Goyal et al. 2017), 'none' keeps it."""
    return float(ranks.world_size) if scaling == "linear" else 1.0


def quiet_other_ranks(ranks: Ranks) -> None:
    """Ranks other than 0 print warnings and errors only, marked with their rank."""
    if ranks.is_main:
        return
    logger = logging.getLogger("unetkit")
    logger.setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(logging.Formatter(f"%(asctime)s [rank {ranks.rank}] %(message)s", "%H:%M:%S"))
