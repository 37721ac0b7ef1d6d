"""One optimisation step, shared by the training loop and the throughput benchmarks."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from ..models.blocks import center_crop
from ..runtime import autocast

log = logging.getLogger(__name__)


@dataclass
class TrainStep:
    """Forward under autocast, loss in float32, backward, optimizer (and scheduler) step.

    Inputs: images float (N, C, H, W), labels int64 (N, H, W), optional weights float (N, H, W).
    compile=True runs the model through torch.compile (fused BatchNorm/ReLU/concat kernels around the
    oneDNN/cuDNN convs); if compiling fails (no C++ compiler, an unsupported op) the first step says
    so in the log and training goes on without it.
    """
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    loss_fn: Callable[..., torch.Tensor]
    device: torch.device
    precision: str
    memory_format: torch.memory_format
    scheduler: Any = None
    scaler: torch.amp.GradScaler | None = None
    compile: bool = False
    compile_mode: str = "default"  # or 'reduce-overhead' (CUDA graphs), 'max-autotune'
    rank_weight: Callable[[torch.Tensor], torch.Tensor] | None = None   # labels -> this rank's loss factor
                                   # (several ranks: DataParallel.pixel_share in train/distributed.py)

    def __post_init__(self):
        if self.scaler is None:
            self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.precision == "fp16")
        mode = None if self.compile_mode == "default" else self.compile_mode
        self._forward = torch.compile(self.model, mode=mode) if self.compile else self.model
        self._compile_unproven = self.compile  # compile errors surface on the first forward/backward

    def use_forward(self, module: torch.nn.Module) -> None:
        """Run the forward pass through `module` (the model wrapped, e.g. by DistributedDataParallel)."""
        mode = None if self.compile_mode == "default" else self.compile_mode
        self._forward = torch.compile(module, mode=mode) if self.compile else module
        self._compile_unproven = self.compile

    def __call__(self, images: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        if not self._compile_unproven:
            return self._step(images, labels, weights)
        try:
            loss = self._step(images, labels, weights)
        except Exception as error:  # noqa: BLE001 -- any compiler failure: fall back, say why
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            log.warning("torch.compile failed (%s: %s); training without it", type(error).__name__, message[:200])
            self._forward = self.model
            loss = self._step(images, labels, weights)  # the failed try never reached optimizer.step()
        self._compile_unproven = False
        return loss

    def _step(self, images: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
        images = images.to(self.device, non_blocking=True).contiguous(memory_format=self.memory_format)
        with autocast(self.device, self.precision):
            logits = self._forward(images)
        # valid-padding models predict the centre of the patch only: crop targets to match
        height, width = logits.shape[-2:]
        labels = center_crop(labels.to(self.device, non_blocking=True), height, width)
        if weights is not None:
            weights = center_crop(weights.to(self.device, non_blocking=True), height, width)
        loss = self.loss_fn(logits.float(), labels, weights)
        if self.rank_weight is not None:
            loss = loss * self.rank_weight(labels)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if self.scheduler is not None:
            self.scheduler.step()
        return loss.detach()
