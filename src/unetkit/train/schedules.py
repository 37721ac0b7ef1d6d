"""Learning-rate schedules (cosine, step, poly, constant, plateau) with linear warm-up, stepped every
iteration. `plateau` (Keras' ReduceLROnPlateau, as the ISIC tutorial trains) multiplies the rate by
train.plateau_factor after train.plateau_patience validations without gain; the count of reductions
is part of the run's TrainState, so a resumed run continues at the same rate."""
from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ..config import TrainConfig
from .state import TrainState


def lr_factor(step: int, config: TrainConfig, total_steps: int, steps_per_epoch: int, reductions: int = 0,
              budget_used: float = 0.0) -> float:
    """Multiplier of the base learning rate at optimizer step `step` (0-based); `reductions`: the
    plateau schedule's count of reductions so far; `budget_used`: the fraction of train.max_minutes
    spent (train.schedule_to_budget: cosine and poly then end when the budget does, if it ends first)."""
    warmup_steps = int(config.warmup_epochs * steps_per_epoch)
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    if config.schedule_to_budget and config.max_minutes:
        progress = min(1.0, max(progress, budget_used))
    if config.schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    if config.schedule == "poly":
        return (1.0 - progress) ** config.poly_power
    if config.schedule == "plateau":
        return config.plateau_factor ** reductions
    if config.schedule == "step":
        return config.step_gamma ** ((step // steps_per_epoch) // max(1, config.step_epochs))
    return 1.0


def build_scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int,
                    frozen_steps_per_epoch: int | None = None, reductions: Callable[[], int] = lambda: 0,
                    budget_used: Callable[[], float] = lambda: 0.0):
    """The schedule over all epochs, one factor per parameter group. `budget_used()`: the fraction of
    the time budget spent so far (the run's clock, the same on every rank: distributed.agree).

    With a frozen-encoder phase (train.freeze_encoder_epochs) its steps may be of another batch size:
    a step is mapped to the step of the main batch size at the same point of training, so the
    schedule's shape does not depend on the phases. During that phase every group learns at
    train.freeze_lr (when set); after it, a group's `lr_scale` (train.encoder_lr_scale) applies.
    """
    frozen_epochs = config.freeze_encoder_epochs
    frozen_steps_per_epoch = frozen_steps_per_epoch or steps_per_epoch
    frozen_steps = frozen_epochs * frozen_steps_per_epoch
    total_steps = config.epochs * steps_per_epoch
    freeze_scale = config.freeze_lr / config.lr if config.freeze_lr and config.lr else 1.0

    def schedule(group_scale: float):
        def factor(step: int) -> float:
            if step < frozen_steps:
                equivalent = step * steps_per_epoch / frozen_steps_per_epoch
                return lr_factor(int(equivalent), config, total_steps, steps_per_epoch, reductions(),
                                 budget_used()) * freeze_scale
            equivalent = frozen_epochs * steps_per_epoch + step - frozen_steps
            return lr_factor(equivalent, config, total_steps, steps_per_epoch, reductions(),
                             budget_used()) * group_scale
        return factor
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, [schedule(group.get("lr_scale", 1.0)) for group in optimizer.param_groups])


def note_validation(state: TrainState, config: TrainConfig, improved: bool) -> bool:
    """The plateau schedule's bookkeeping after a validation; True when the rate is lowered now."""
    if config.schedule != "plateau":
        return False
    state.plateau_waits = 0 if improved else state.plateau_waits + 1
    if state.plateau_waits < config.plateau_patience:
        return False
    state.lr_reductions, state.plateau_waits = state.lr_reductions + 1, 0
    return True


def build_optimizer(parameters, config: TrainConfig) -> torch.optim.Optimizer:
    """Adam / AdamW / SGD, fused (one kernel for all parameters) on CPU and CUDA, else multi-tensor.
    `parameters`: tensors, or parameter-group dicts (an `lr_scale` key is read by build_scheduler).

    On the 2-core CPU a fused Adam step over the 31M-parameter U-Net takes 14 ms against 69 ms for the
    multi-tensor one (docs/benchmarks.md); both compute the same update.
    """
    parameters = list(parameters)
    tensors = [t for p in parameters for t in (p["params"] if isinstance(p, dict) else [p])]
    fast = ({"fused": True} if all(t.device.type in ("cpu", "cuda") for t in tensors)
            else {"foreach": True})
    if config.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay, **fast)
    optimizer_class = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
    return optimizer_class(parameters, lr=config.lr, weight_decay=config.weight_decay, **fast)
