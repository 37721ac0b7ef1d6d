"""One optimisation step, shared by the training loop and the throughput benchmarks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch

from ..models.blocks import center_crop
from ..runtime import autocast


@dataclass
class TrainStep:
    """Forward under autocast, loss in float32, backward, optimizer (and scheduler) step.

    Inputs: images float (N, C, H, W), labels int64 (N, H, W), optional weights float (N, H, W).
    """
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    loss_fn: Callable[..., torch.Tensor]
    device: torch.device
    precision: str
    memory_format: torch.memory_format
    scheduler: Any = None
    scaler: torch.amp.GradScaler | None = None

    def __post_init__(self):
        if self.scaler is None:
            self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.precision == "fp16")

    def __call__(self, images: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        images = images.to(self.device, non_blocking=True).contiguous(memory_format=self.memory_format)
        with autocast(self.device, self.precision):
            logits = self.model(images)
        # valid-padding models predict the centre of the patch only: crop targets to match
        height, width = logits.shape[-2:]
        labels = center_crop(labels.to(self.device, non_blocking=True), height, width)
        if weights is not None:
            weights = center_crop(weights.to(self.device, non_blocking=True), height, width)
        loss = self.loss_fn(logits.float(), labels, weights)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if self.scheduler is not None:
            self.scheduler.step()
        return loss.detach()
