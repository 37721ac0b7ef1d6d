"""The one place that maps model names to networks (timm's `@register_model`).

A registered builder takes (in_channels, out_channels, **model_args); its keyword arguments are the
model's whole configuration, and exactly what a checkpoint stores to rebuild it. Adding a model is a
builder function (or a SegmentationModel class) decorated with `@register_model` plus its file.
The registry never imports the run config: callers pass plain keyword arguments.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from ..registry import Registry
from .base import SegmentationModel

Builder = Callable[..., SegmentationModel]
MODELS: Registry[Builder] = Registry("model", config_key="model.name")
# per model: arguments added after checkpoints of it were written, with the value those were built with
EARLIER_DEFAULTS: dict[str, dict[str, Any]] = {}


@dataclass(frozen=True)
class ModelSpec:
    """What rebuilds a network: its registered name, channels and arguments (kept on the model by
    build_model, stored in checkpoints)."""
    name: str
    in_channels: int
    out_channels: int
    args: dict[str, Any] = field(default_factory=dict)


def register_model(builder: Builder | None = None, *, name: str | None = None,
                   earlier_defaults: Mapping[str, Any] | None = None):
    """Decorator: `@register_model` or `@register_model(name="unet")` on a function or a model class.
    `earlier_defaults`: arguments added after checkpoints of the model were written, each with the value
    those checkpoints were built with; they rebuild with it, and a new model records its own value."""
    def decorate(target: Builder) -> Builder:
        MODELS.register(name or target.__name__, target)
        if earlier_defaults:
            EARLIER_DEFAULTS[name or target.__name__] = dict(earlier_defaults)
        return target
    return decorate(builder) if builder is not None else decorate


def model_arguments(name: str) -> tuple[str, ...]:
    """The keyword arguments model `name` takes besides its input and output channels."""
    return MODELS.arguments(name, skip=2)


def select_model_args(name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of `values` (e.g. the config's model section) that model `name` takes."""
    accepted = model_arguments(name)
    return {key: value for key, value in values.items() if key in accepted}


def stored_model_args(name: str, stored: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments that rebuild a stored model (a checkpoint's, an export's): what it stored, and for an
    argument added since, the value it was built with (EARLIER_DEFAULTS)."""
    return {**EARLIER_DEFAULTS.get(name, {}), **stored}


def _recorded_args(name: str, model_args: Mapping[str, Any]) -> dict[str, Any]:
    """`model_args` plus the current default of every argument added later (EARLIER_DEFAULTS), so that the
    spec a checkpoint stores rebuilds this model, not the earlier one."""
    later = EARLIER_DEFAULTS.get(name, {})
    if not later:
        return dict(model_args)
    entry = MODELS[name]
    parameters = inspect.signature(entry.__init__ if inspect.isclass(entry) else entry).parameters
    return {**{key: parameters[key].default for key in later}, **model_args}


def build_model(name: str, in_channels: int, out_channels: int, **model_args: Any) -> SegmentationModel:
    """Instantiate the model registered as `name`; the result carries its ModelSpec as `model.spec`."""
    unknown = sorted(set(model_args) - set(model_arguments(name)))
    if unknown:
        raise ConfigError(f"model '{name}' takes no argument {', '.join(unknown)} "
                          f"(it takes: {', '.join(model_arguments(name))})")
    model = MODELS[name](in_channels, out_channels, **model_args)
    if not isinstance(model, SegmentationModel):
        raise TypeError(f"model '{name}' built a {type(model).__name__}, not a SegmentationModel")
    model.spec = ModelSpec(name, in_channels, out_channels, _recorded_args(name, model_args))
    return model
