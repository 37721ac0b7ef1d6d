"""Setting one dotted key of a Config, its value checked against the field's type (converted where
that is lossless: '50' -> 50, '1,2' -> [1.0, 2.0]); a piece's own settings and the flat keys of the
earlier layout included (options.py)."""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any

from ..errors import ConfigError
from .options import legacy_key, piece_options_type, set_piece_option
from .sections import Config


def coerce(value: Any, annotation: Any, key: str) -> Any:
    """Check `value` against a field's type annotation, converting where it is lossless."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):  # str | list[float]: a word, or a list (also "1,2,3")
        word, listed = typing.get_args(annotation)
        as_list = isinstance(value, list) or (isinstance(value, (int, float)) and not isinstance(value, bool)) \
            or (isinstance(value, str) and ("," in value or value.strip().lstrip("-").replace(".", "", 1).isdigit()))
        return coerce(value, listed if as_list else word, key)
    if origin is list:
        (item_type,) = typing.get_args(annotation)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):   # '1,2', 2 or 0.75
            value = [v.strip() for v in str(value).split(",") if v.strip()]
        if not isinstance(value, list):
            raise ConfigError(f"config key '{key}' expects a list, got {value!r}")
        return [coerce(v, item_type, key) for v in value]
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.lower() in ("true", "yes", "1")
        raise ConfigError(f"config key '{key}' expects true/false, got {value!r}")
    if annotation in (int, float):
        kind = "an integer" if annotation is int else "a number"
        exact = isinstance(value, int) or (annotation is float and isinstance(value, float))
        number = None
        if exact and not isinstance(value, bool):
            number = annotation(value)
        elif isinstance(value, str):
            try:
                number = annotation(value)
            except ValueError:
                pass
        if number is not None and math.isfinite(number):
            return number
        raise ConfigError(f"config key '{key}' expects {'a finite number' if number is not None else kind}, "
                          f"got {value!r}")
    if annotation is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"config key '{key}' expects a string, got {value!r}")
    raise TypeError(f"unsupported annotation {annotation!r} for {key}")  # a bug, not user input


def section_types(section: Any) -> dict[str, Any]:
    return typing.get_type_hints(type(section))


def set_key(config: Config, dotted_key: str, value: Any) -> None:
    """`section.name`, or a piece's own setting `section.piece.option` (a mapping under
    `section.piece` sets several); the earlier layout's flat keys of a piece are read too."""
    parts = dotted_key.split(".")
    if len(parts) not in (2, 3) or not all(parts):
        raise ConfigError(f"config key {dotted_key!r} must look like section.name (e.g. train.epochs)")
    section_name, name = parts[:2]
    if section_name not in {f.name for f in dataclasses.fields(Config)}:
        raise ConfigError(f"unknown config section {section_name!r} in key {dotted_key!r}")
    section = getattr(config, section_name)
    if len(parts) == 3:
        set_piece_option(section, name, parts[2], value, dotted_key, coerce)
        return
    types_ = section_types(section)
    if name in types_ and name != "pieces":
        setattr(section, name, coerce(value, types_[name], dotted_key))
    elif piece_options_type(section_name, name) is not None:
        if not isinstance(value, dict):
            names = ", ".join(f"{field.name}: ..." for field in dataclasses.fields(piece_options_type(section_name, name)))
            raise ConfigError(f"config key {dotted_key!r} holds {name}'s settings: a mapping such as {{{names}}}")
        for option_name, option_value in value.items():
            set_piece_option(section, name, str(option_name), option_value, f"{dotted_key}.{option_name}", coerce)
    elif (legacy := legacy_key(section_name, name)) is not None:
        piece, option_name = legacy
        set_piece_option(section, piece, option_name, value, dotted_key, coerce)
    else:
        raise ConfigError(f"unknown config key {dotted_key!r}")


def get_key(config: Config, dotted_key: str) -> Any:
    section, name = dotted_key.split(".")
    return getattr(getattr(config, section), name)


