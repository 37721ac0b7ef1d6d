"""Named choices that register themselves (timm's `@register_model`): models, losses, data formats.

Each floor owns its registry (models/registry.py: MODELS, losses/registry.py: LOSSES, data/formats: FORMATS).
A registry made with a `config_key` also supplies that key's allowed values, so config.py reads them
from here instead of listing them by hand, and never imports the floors that fill the registries.
Importing the `unetkit` package registers the built-in entries.

A registered object may define `check_config(config)`: config.py calls it for the chosen entry when
a config is loaded, so rules such as "bce needs two classes" live with the entry they belong to.
"""
from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from .errors import ConfigError

T = TypeVar("T")

_BY_CONFIG_KEY: dict[str, Registry] = {}


class Registry(Generic[T]):
    """name -> object, in registration order."""

    def __init__(self, kind: str, config_key: str | None = None):
        self.kind = kind
        self.config_key = config_key
        self._items: dict[str, T] = {}
        if config_key is not None:
            _BY_CONFIG_KEY[config_key] = self

    def register(self, name: str, item: T) -> T:
        if name in self._items:
            raise ValueError(f"{self.kind} '{name}' is already registered")
        self._items[name] = item
        return item

    def unregister(self, name: str) -> None:
        del self._items[name]

    @contextmanager
    def registered(self, name: str, item: T) -> Iterator[T]:
        """Register `item` for the duration of a `with` block (tests, plugins tried out)."""
        self.register(name, item)
        try:
            yield item
        finally:
            self.unregister(name)

    def __getitem__(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            where = f"config key '{self.config_key}'" if self.config_key else self.kind
            raise ConfigError(f"{where}: unknown {self.kind} '{name}' "
                              f"(available: {', '.join(self._items)})") from None

    def get(self, name: str, default: T | None = None) -> T | None:
        return self._items.get(name, default)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def names(self) -> tuple[str, ...]:
        return tuple(self._items)

    def items(self):
        return self._items.items()

    def arguments(self, name: str, skip: int = 0) -> tuple[str, ...]:
        """The keyword arguments entry `name` takes (a function's, or a class's constructor's), after the
        first `skip` (a model builder's in_channels and out_channels)."""
        entry = self[name]
        target = entry.__init__ if inspect.isclass(entry) else entry
        parameters = list(inspect.signature(target).parameters.values())[1 if inspect.isclass(entry) else 0:]
        return tuple(p.name for p in parameters[skip:] if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def registry_for(config_key: str) -> Registry | None:
    """The registry that supplies the allowed values of `config_key`, if any."""
    return _BY_CONFIG_KEY.get(config_key)


def registry_keys() -> tuple[str, ...]:
    return tuple(_BY_CONFIG_KEY)
