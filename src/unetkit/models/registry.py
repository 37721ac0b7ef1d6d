"""The one place that maps model names to networks (timm's `@register_model`).

A registered builder takes (in_channels, out_channels, **model_args); its keyword arguments are the
model's whole configuration, and exactly what a checkpoint stores to rebuild it. Adding a model is a
builder function (or a SegmentationModel class) decorated with `@register_model` plus its file.
The registry never imports the run config: callers pass plain keyword arguments.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from ..registry import Registry
from .base import SegmentationModel

Builder = Callable[..., SegmentationModel]
MODELS: Registry[Builder] = Registry("model", config_key="model.name")


@dataclass(frozen=True)
class ModelSpec:
    """What rebuilds a network: its registered name, channels and arguments (kept on the model by
    build_model, stored in checkpoints)."""
    name: str
    in_channels: int
    out_channels: int
    args: dict[str, Any] = field(default_factory=dict)


def register_model(builder: Builder | None = None, *, name: str | None = None):
    """Decorator: `@register_model` or `@register_model(name="unet")` on a function or a model class."""
    def decorate(target: Builder) -> Builder:
        MODELS.register(name or target.__name__, target)
        return target
    return decorate(builder) if builder is not None else decorate


def model_arguments(name: str) -> tuple[str, ...]:
    """The keyword arguments model `name` takes besides its input and output channels."""
    return MODELS.arguments(name, skip=2)


def select_model_args(name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of `values` (e.g. the config's model section) that model `name` takes."""
    accepted = model_arguments(name)
    return {key: value for key, value in values.items() if key in accepted}


def build_model(name: str, in_channels: int, out_channels: int, **model_args: Any) -> SegmentationModel:
    """Instantiate the model registered as `name`; the result carries its ModelSpec as `model.spec`."""
    unknown = sorted(set(model_args) - set(model_arguments(name)))
    if unknown:
        raise ConfigError(f"model '{name}' takes no argument {', '.join(unknown)} "
                          f"(it takes: {', '.join(model_arguments(name))})")
    model = MODELS[name](in_channels, out_channels, **model_args)
    if not isinstance(model, SegmentationModel):
        raise TypeError(f"model '{name}' built a {type(model).__name__}, not a SegmentationModel")
    model.spec = ModelSpec(name, in_channels, out_channels, dict(model_args))
    return model
