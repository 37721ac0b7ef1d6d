"""Optimizers by name (OPTIMIZERS: train.optimizer), each with its own settings (train.sgd.momentum)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from ..config import TrainConfig, between, option, options_of
from ..registry import Registry


@dataclass
class SgdOptions:
    """train.sgd.*"""
    LEGACY_KEYS = {"train.momentum": "momentum"}
    momentum: float = option(0.9, "heavy-ball momentum", between(0, 1, high_open=True))


@dataclass(frozen=True)
class Optimizer:
    """A registered optimizer: `make(parameters, lr, weight_decay, options, kernel)` -> torch optimizer;
    `kernel`: {'fused': True} or {'foreach': True}."""
    name: str
    make: Callable[..., torch.optim.Optimizer]
    options: type | None = None


OPTIMIZERS: Registry[Optimizer] = Registry("optimizer", config_key="train.optimizer")
for entry in (
    Optimizer("adam", lambda parameters, lr, weight_decay, options, kernel:
              torch.optim.Adam(parameters, lr=lr, weight_decay=weight_decay, **kernel)),
    Optimizer("adamw", lambda parameters, lr, weight_decay, options, kernel:
              torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay, **kernel)),
    Optimizer("sgd", lambda parameters, lr, weight_decay, options, kernel:
              torch.optim.SGD(parameters, lr=lr, momentum=options.momentum, weight_decay=weight_decay, **kernel),
              SgdOptions),
):
    OPTIMIZERS.register(entry.name, entry)


def build_optimizer(parameters, config: TrainConfig) -> torch.optim.Optimizer:
    """The optimizer train.optimizer names, fused (one kernel for all parameters) on CPU and CUDA, else
    multi-tensor. `parameters`: tensors, or parameter-group dicts (an `lr_scale` key is read by
    schedules.build_scheduler).

    On the 2-core CPU a fused Adam step over the 31M-parameter U-Net takes 14 ms against 69 ms for the
    multi-tensor one (docs/benchmarks.md); both compute the same update.
    """
    parameters = list(parameters)
    tensors = [t for p in parameters for t in (p["params"] if isinstance(p, dict) else [p])]
    kernel: dict[str, Any] = ({"fused": True} if all(t.device.type in ("cpu", "cuda") for t in tensors)
                              else {"foreach": True})
    return OPTIMIZERS[config.optimizer].make(parameters, config.lr, config.weight_decay,
                                              options_of(config, config.optimizer), kernel)
