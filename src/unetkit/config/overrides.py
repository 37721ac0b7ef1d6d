"""The one reader of `key=value` settings, as every command takes them (train, evaluate, predict, the
plan, compare and sweep): `section.key=value` with the value read as YAML (`train.epochs=50`,
`data.colors=[[0,0,0],[255,0,0]]`, `model.encoder_weights=`), or its plain text where it is not YAML."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError


@dataclass(frozen=True)
class Override:
    """One `key=value` setting: the dotted key, the text after '=' and that text read as YAML."""
    key: str
    text: str

    @property
    def value(self) -> Any:
        if not self.text.strip():
            return ""
        try:
            return yaml.safe_load(self.text)
        except yaml.YAMLError:   # not YAML (a stray control character, '[1,'): the plain text, checked as such
            return self.text

    def __str__(self) -> str:
        return f"{self.key}={self.text}"


def parse_override(item: str) -> Override:
    """'section.key=value' -> Override; a one-line ConfigError otherwise."""
    key, separator, text = item.partition("=")
    if not separator or not key.strip():
        raise ConfigError(f"override {item!r} must look like key=value (e.g. train.epochs=50)")
    return Override(key.strip(), text)


def parse_overrides(items: list[str] | None) -> list[Override]:
    return [parse_override(item) for item in items or []]


def override_values(items: list[str] | None) -> dict[str, Any]:
    """{dotted key: value} of `items`, the last one winning, as the config applies them."""
    return {override.key: override.value for override in parse_overrides(items)}


def is_override(item: str) -> bool:
    """Whether a command-line word is a setting rather than a path: it has '=' and is not an existing
    path (a file name may contain '=')."""
    return "=" in item and not Path(item).exists()


def split_overrides(items: list[str]) -> tuple[list[str], list[str]]:
    """A command line's words -> (paths, key=value settings), each in their order."""
    overrides = [item for item in items if is_override(item)]
    return [item for item in items if item not in overrides], overrides


def sweep_values(item: str) -> tuple[str, list[str]] | None:
    """`sweep`'s 'KEY=V1,V2,...' -> (KEY, [V1, V2, ...]); None for a setting of one value (no comma,
    or a YAML list such as '[1,2]')."""
    override = parse_override(item)
    if "," not in override.text or override.text.lstrip().startswith("["):
        return None
    values = [value for value in override.text.split(",") if value]
    if not values:
        raise ConfigError(f"sweep {item!r}: expected KEY=V1,V2,... (e.g. train.epochs=300,600,900)")
    return override.key, values
