"""train.ema: an exponential moving average of the weights and BatchNorm statistics (Polyak averaging,
as timm's ModelEma and YOLO train with it), the copy that validation scores and best.pt/last.pt keep.

torch's AveragedModel does the bookkeeping; what is ours is the decay's warm-up: the average of step n
uses min(decay, (1 + n) / (10 + n)), so the first hundreds of steps, when a network trained from
scratch changes fastest, do not hold the average back (a plain 0.995 would still carry a third of
the step-200 weights after 200 more steps). Integer buffers (BatchNorm's batch counter) are copied.
"""
from __future__ import annotations

from typing import Any

import torch
from torch.optim.swa_utils import AveragedModel

from ..models import SegmentationModel


def _ema_update(decay: float):
    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], updates: torch.Tensor) -> None:
        if not averaged[0].is_floating_point():
            torch._foreach_copy_(averaged, current)
            return
        n = float(updates)
        weight = 1.0 - min(decay, (1.0 + n) / (10.0 + n))
        torch._foreach_lerp_(averaged, current, weight)
    return update


class WeightAverage:
    """The moving average of `model`'s weights; `update(model)` after each optimizer step."""

    def __init__(self, model: SegmentationModel, decay: float):
        self.decay = decay
        self._averaged = AveragedModel(model, multi_avg_fn=_ema_update(decay), use_buffers=True)

    @property
    def model(self) -> SegmentationModel:
        """The averaged network (the class of the trained one, with its spec: checkpoints save it)."""
        return self._averaged.module

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        self._averaged.update_parameters(model)

    @property
    def updates(self) -> int:
        return int(self._averaged.n_averaged)

    def training_state(self, model: torch.nn.Module) -> dict[str, Any]:
        """What a resumed run needs besides the averaged weights (the checkpoint's model): the weights
        being trained and the count of averaged steps."""
        return {"trained_model": model.state_dict(), "ema_updates": self.updates}

    def resume(self, model: torch.nn.Module, averaged_weights: dict, trained: dict[str, Any]) -> None:
        """Load a checkpoint written with train.ema: the trained weights into `model`, the average into ours."""
        model.load_state_dict(trained["trained_model"])
        self.model.load_state_dict(averaged_weights)
        self._averaged.n_averaged.fill_(int(trained["ema_updates"]))
