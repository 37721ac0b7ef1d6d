"""Settings that belong to one registered piece (a loss, a schedule, an optimizer, a data format).

A piece declares its settings beside its code as a small dataclass whose fields are made by `option`
(type, default, one-line help, the rule a value must follow) and hangs it on its registry entry as
`options`:

    @dataclass
    class TverskyOptions:
        alpha: float = option(0.3, "weight of false positives", at_least(0))

    register_loss(Loss("tversky", tversky_loss, options=TverskyOptions))

The run config keeps the choice (`train.loss: tversky`) and, in the same section, the piece's own
mapping (`train: {tversky: {alpha: 0.3}}`, on a command line `train.tversky.alpha=0.3`). Adding an
option to a piece is an edit of its own file. Keys of the flat layout that came before
(`train.tversky_alpha`) are declared by the piece in `LEGACY_KEYS` and still read, so old configs and
the configs stored in old checkpoints load.

The section dataclasses hold what has been set in a `pieces` field (piece name -> its options);
`options_of(section, name)` answers for any piece, with its defaults when nothing was set.
"""
from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from typing import Any

from ..errors import ConfigError
from ..registry import registry_for, registry_keys

Rule = tuple[Callable[[Any], bool], str]


def option(default: Any, help: str, rule: Rule | None = None) -> Any:
    """A piece's setting: its default, one line of help and the rule a value must follow (a check and
    its text, e.g. at_least(0)). Lists take a copy of `default` per instance."""
    metadata = {"help": help, "rule": rule}
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def at_least(low: float) -> Rule:
    return (lambda value: value >= low, f">= {low:g}")


def above(low: float) -> Rule:
    return (lambda value: value > low, f"> {low:g}")


def one_of(*choices: str) -> Rule:
    return (lambda value: value in choices, f"one of {', '.join(choices)}")


def between(low: float, high: float, *, low_open: bool = False, high_open: bool = False) -> Rule:
    def check(value: float) -> bool:
        return (low < value if low_open else low <= value) and (value < high if high_open else value <= high)
    return check, f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def _section_registries(section: str) -> list:
    return [registry_for(key) for key in registry_keys() if key.split(".")[0] == section]


def piece_options_type(section: str, name: str) -> type | None:
    """The options dataclass of the piece `name` registered for `section` ('train', 'data'), if it has one."""
    for registry in _section_registries(section):
        entry = registry.get(name)
        options = getattr(entry, "options", None)
        if dataclasses.is_dataclass(options):
            return options
    return None


def pieces_with_options(section: str) -> dict[str, type]:
    """Every registered piece of `section` that has settings: name -> options dataclass."""
    found = {}
    for registry in _section_registries(section):
        for name, entry in registry.items():
            options = getattr(entry, "options", None)
            if dataclasses.is_dataclass(options):
                found[name] = options
    return found


def options_of(section_values: Any, name: str) -> Any:
    """The settings of piece `name` in a section (a TrainConfig, a DataConfig): those set in the
    config, or the piece's defaults. None for a piece without settings."""
    stored = getattr(section_values, "pieces", {}).get(name)
    if stored is not None:
        return stored
    options = piece_options_type(_section_name(section_values), name)
    return options() if options is not None else None


def _section_name(section_values: Any) -> str:
    return type(section_values).__name__.removesuffix("Config").lower()


def chosen_pieces(section_name: str, section: Any) -> list[str]:
    """The pieces a section chooses (train.loss and a sum's terms, train.schedule, data.format ...)
    that have settings."""
    chosen = []
    for key in registry_keys():
        owner, name = key.split(".")
        if owner == section_name:
            chosen += [piece.strip() for piece in str(getattr(section, name)).split("+")
                       if piece_options_type(section_name, piece.strip()) is not None]
    return chosen


def settle_pieces(section_name: str, section: Any) -> None:
    """After loading: the chosen pieces' settings held in full (defaults included), those of pieces
    not chosen only where they differ from the defaults -- so a config equals itself saved and loaded."""
    chosen = chosen_pieces(section_name, section)
    for piece in list(section.pieces):
        if piece not in chosen and section.pieces[piece] == piece_options_type(section_name, piece)():
            del section.pieces[piece]
    for piece in chosen:
        section.pieces.setdefault(piece, options_of(section, piece))


def legacy_key(section: str, name: str) -> tuple[str, str] | None:
    """A flat key of the earlier layout (`train.tversky_alpha`) -> (piece, option), if a piece declares it."""
    dotted = f"{section}.{name}"
    for piece, options in pieces_with_options(section).items():
        option_name = getattr(options, "LEGACY_KEYS", {}).get(dotted)
        if option_name is not None:
            return piece, option_name
    return None


def set_piece_option(section_values: Any, piece: str, name: str, value: Any, key: str,
                     coerce: Callable[[Any, Any, str], Any]) -> None:
    """Set one setting of a piece in a section, checked against the piece's declared type."""
    options = piece_options_type(_section_name(section_values), piece)
    if options is None:
        raise ConfigError(f"unknown config key {key!r} ({piece!r} has no settings)")
    types_ = typing.get_type_hints(options)
    if name not in types_:
        known = ", ".join(field.name for field in dataclasses.fields(options))
        raise ConfigError(f"unknown config key {key!r} ({piece} has: {known})")
    current = options_of(section_values, piece)
    section_values.pieces[piece] = dataclasses.replace(current, **{name: coerce(value, types_[name], key)})


def check_piece_options(section: str, piece: str, options: Any) -> None:
    """Each setting of a piece against its declared rule; a one-line error naming the key."""
    for field in dataclasses.fields(options):
        rule = field.metadata.get("rule")
        value = getattr(options, field.name)
        if rule is not None and not rule[0](value):
            raise ConfigError(f"config key '{section}.{piece}.{field.name}' must be {rule[1]}; got {value!r}")
