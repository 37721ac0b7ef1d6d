"""The losses by name, what training must know about each, and sums of them ('ce+tversky').

`train.loss` names a registered loss or a sum of them joined by '+', weighted by
`train.loss_weights` (one weight per term, all 1 when empty). A loss declares its own settings as
a dataclass (`Loss.options`, config/options.py) whose fields are keyword arguments of its function:
train.focal.gamma reaches focal_loss(gamma=...).
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from ..config import Config, TrainConfig, options_of
from ..errors import ConfigError
from ..labels import IGNORE_INDEX
from ..registry import Registry
from .common import pixel_class_weights

LossFunction = Callable[..., torch.Tensor]


@dataclass(frozen=True)
class Loss:
    """A registered loss and what training must know about it."""
    name: str
    function: LossFunction
    sigmoid: bool = False            # one sigmoid output channel (binary tasks only) instead of one per class
    softmax_only: bool = False       # needs one channel per class (cannot be summed with a sigmoid loss)
    needs_weight_map: bool = False   # per-pixel weights (the paper's border weight map) are computed for it
    options: type | None = None      # its settings (a dataclass of option() fields): train.<name>.<field>
    terms: tuple[Loss, ...] = ()     # a sum: its terms
    # the denominator of a loss that is a weighted mean over pixels: "valid" (the count of non-ignored
    # pixels) or "class_weighted" (their class weights' sum; the count without class weights). Several
    # training ranks then weight their losses by their share of it, so N ranks compute the gradient of
    # one process (train/distributed.py); None for losses that are not such a mean (Dice, Lovasz, ...)
    mean_over: str | None = None

    def output_channels(self, num_classes: int) -> int:
        """How many logits the model's head must produce for `num_classes` classes."""
        return 1 if self.sigmoid else num_classes

    def check_config(self, config: Config) -> None:
        if self.sigmoid and config.data.num_classes != 2:
            raise ConfigError(f"train.loss={self.name} needs data.num_classes=2 (one sigmoid channel); "
                              f"use ce for more classes")
        weights = config.train.loss_weights
        if weights and len(weights) != max(1, len(self.terms)):
            raise ConfigError(f"train.loss_weights has {len(weights)} weights but train.loss={self.name} has "
                              f"{max(1, len(self.terms))} term(s)")


def _sum_of_terms(logits, labels, weights=None, *, terms, term_weights) -> torch.Tensor:
    return sum(weight * term(logits, labels, weights) for term, weight in zip(terms, term_weights))


class LossRegistry(Registry[Loss]):
    """Registered losses; a name 'a+b' is the sum of registered losses a and b."""

    def __getitem__(self, name: str) -> Loss:
        if "+" not in name:
            return super().__getitem__(name)
        terms = tuple(super(LossRegistry, self).__getitem__(part.strip()) for part in name.split("+"))
        if any(term.terms for term in terms) or len(terms) < 2:
            raise ConfigError(f"config key 'train.loss': '{name}' must join two or more registered losses by '+'")
        sigmoid = any(term.sigmoid for term in terms)
        if sigmoid and any(term.softmax_only for term in terms):
            raise ConfigError(f"config key 'train.loss': '{name}' mixes a one-sigmoid-channel loss with a "
                              f"softmax one ({', '.join(t.name for t in terms if t.softmax_only)}); use bce or ce, not both")
        return Loss(name, _sum_of_terms, sigmoid=sigmoid, softmax_only=any(t.softmax_only for t in terms),
                    needs_weight_map=any(t.needs_weight_map for t in terms), terms=terms)

    def __contains__(self, name: object) -> bool:
        try:
            self[name]
        except ConfigError:
            return False
        return True

    def names(self) -> tuple[str, ...]:
        return (*super().names(), "or a sum such as ce+tversky")


LOSSES: LossRegistry = LossRegistry("loss", config_key="train.loss")


def register_loss(loss: Loss) -> Loss:
    return LOSSES.register(loss.name, loss)


def loss_denominator(name: str, ignore_index: int = IGNORE_INDEX,
                     class_weights: torch.Tensor | None = None) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """labels (N, H, W) -> the denominator of loss `name`'s pixel mean over them (Loss.mean_over), or None
    when the loss is not a pixel mean (a sum of losses included)."""
    mean_over = LOSSES[name].mean_over
    if mean_over is None:
        return None
    if mean_over == "class_weighted" and class_weights is not None:
        return lambda labels: pixel_class_weights(labels, class_weights.float(), ignore_index).sum()
    return lambda labels: (labels != ignore_index).sum().float()


def _bound(loss: Loss, train: TrainConfig | None, ignore_index: int,
           class_weights: torch.Tensor | None) -> LossFunction:
    """The loss function with its settings (those that are its keyword arguments: weighted_ce's border
    settings shape the weight map, not the function)."""
    settings = options_of(train or TrainConfig(), loss.name)
    accepted = inspect.signature(loss.function).parameters
    options: dict[str, Any] = ({name: value for name, value in dataclasses.asdict(settings).items() if name in accepted}
                               if settings is not None else {})
    return functools.partial(loss.function, ignore_index=ignore_index, class_weights=class_weights, **options)


def build_loss(name: str, ignore_index: int = IGNORE_INDEX, class_weights: torch.Tensor | None = None,
               train: TrainConfig | None = None) -> LossFunction:
    """The loss `name` as a function (logits, labels, weights=None) -> scalar, leaving out pixels
    labelled `ignore_index`, weighting classes by `class_weights` (K,), with its settings (and a
    sum's term weights) from the train section (defaults without one)."""
    loss = LOSSES[name]
    if not loss.terms:
        return _bound(loss, train, ignore_index, class_weights)
    term_weights = (train.loss_weights if train and train.loss_weights else [1.0] * len(loss.terms))
    terms = [_bound(term, train, ignore_index, class_weights) for term in loss.terms]
    return functools.partial(_sum_of_terms, terms=terms, term_weights=term_weights)
