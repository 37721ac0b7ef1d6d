"""Learning-rate schedules (cosine, step, poly, constant, plateau) with linear warm-up, stepped every
iteration, registered by name (SCHEDULES: train.schedule) with their own settings (train.step.gamma ...).
`plateau` (Keras' ReduceLROnPlateau, as the ISIC tutorial trains) multiplies the rate by
train.plateau.factor after train.plateau.patience validations without gain; the count of reductions
is part of the run's TrainState, so a resumed run continues at the same rate. The optimizers are in
optimizers.py."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from ..config import TrainConfig, above, at_least, between, option, options_of
from ..registry import Registry
from .state import TrainState


@dataclass
class StepOptions:
    """train.step.*: multiply the rate by `gamma` every `epochs` epochs."""
    LEGACY_KEYS = {"train.step_epochs": "epochs", "train.step_gamma": "gamma"}
    epochs: int = option(10, "epochs between two reductions", above(0))
    gamma: float = option(0.1, "factor of each reduction", above(0))


@dataclass
class PolyOptions:
    """train.poly.*: (1 - progress)^power (DeepLab's schedule)."""
    LEGACY_KEYS = {"train.poly_power": "power"}
    power: float = option(0.9, "exponent of the decay", above(0))


@dataclass
class PlateauOptions:
    """train.plateau.*: Keras' ReduceLROnPlateau."""
    LEGACY_KEYS = {"train.plateau_patience": "patience", "train.plateau_factor": "factor"}
    patience: int = option(3, "validations without gain in train.monitor before the rate is lowered", at_least(1))
    factor: float = option(0.5, "the rate is multiplied by this each time", between(0, 1, low_open=True, high_open=True))


@dataclass(frozen=True)
class Schedule:
    """A registered schedule: the factor of the base rate at a point of training. `factor(progress,
    epoch, reductions, options)`: progress in [0, 1] after warm-up, the epoch, the plateau
    reductions so far, the schedule's settings (None without)."""
    name: str
    factor: Callable[[float, int, int, Any], float]
    options: type | None = None


SCHEDULES: Registry[Schedule] = Registry("schedule", config_key="train.schedule")
for schedule in (
    Schedule("cosine", lambda progress, epoch, reductions, options: 0.5 * (1.0 + math.cos(math.pi * progress))),
    Schedule("step", lambda progress, epoch, reductions, options: options.gamma ** (epoch // options.epochs), StepOptions),
    Schedule("poly", lambda progress, epoch, reductions, options: (1.0 - progress) ** options.power, PolyOptions),
    Schedule("constant", lambda progress, epoch, reductions, options: 1.0),
    Schedule("plateau", lambda progress, epoch, reductions, options: options.factor ** reductions, PlateauOptions),
):
    SCHEDULES.register(schedule.name, schedule)


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
    return SCHEDULES[config.schedule].factor(progress, step // steps_per_epoch, reductions,
                                             options_of(config, config.schedule))


def build_scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int,
                    frozen_steps_per_epoch: int | None = None, reductions: Callable[[], int] = lambda: 0,
                    budget_used: Callable[[], float] = lambda: 0.0):
    """The schedule over all epochs, one factor per parameter group. `budget_used()`: the fraction of
    the time budget spent so far (the run's clock, the same on every rank: the strategy's agree, train/distributed.py).

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
    if state.plateau_waits < options_of(config, "plateau").patience:
        return False
    state.lr_reductions, state.plateau_waits = state.lr_reductions + 1, 0
    return True
