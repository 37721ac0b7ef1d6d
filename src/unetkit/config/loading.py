"""Configs from YAML files, nested dicts (a checkpoint's stored config) and key=value overrides, and
back to YAML."""
from __future__ import annotations

import copy
import dataclasses
import logging
import typing
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..registry import registry_for
from .options import chosen_pieces, options_of, settle_pieces
from .overrides import parse_overrides
from .sections import Config, InferConfig, ModelConfig
from .validation import check_infer_config, validate
from .values import set_key

log = logging.getLogger(__name__)

MODEL_RUN_KEYS = ("name", "encoder_weights", "init_from")   # model-section keys that are not a network's arguments


def from_dict(tree: dict[str, Any], overrides: list[str] | None = None, source: str = "config") -> Config:
    """Build a validated Config from a nested dict (as in YAML) and 'section.key=value' overrides."""
    config = Config()
    if not isinstance(tree, dict):
        raise ConfigError(f"{source}: expected a mapping of sections (data:, model:, train:, ...)")
    for section_name, section in tree.items():
        if not isinstance(section, dict):
            raise ConfigError(f"{source}: section '{section_name}' must be a mapping")
        for name, value in section.items():
            try:
                set_key(config, f"{section_name}.{name}", value)
            except ConfigError as error:   # the file's mistake: name the file
                raise ConfigError(f"{source}: {error}") from None
    _apply_overrides(config, overrides or [])
    if not 2 <= config.data.num_classes <= 255:   # before naming the classes: 10**13 names would not fit in memory
        raise ConfigError(f"config key 'data.num_classes' must be in 2..255 (background + up to 254 classes; "
                          f"labels are 8-bit, 255 is the ignore label); got {config.data.num_classes}")
    if isinstance(config.data.colors, str):   # 'voc' names the palette that empty colours read through
        if config.data.colors != "voc":
            raise ConfigError(f"config key 'data.colors' must be 'voc' or a list of [R, G, B] colours; "
                              f"got {config.data.colors!r}")
        config.data.colors = []
    if not config.data.class_names:
        data_format = registry_for("data.format").get(config.data.format)
        named = getattr(data_format, "default_class_names", lambda count: None)(config.data.num_classes)
        config.data.class_names = named or (["background", "foreground"] if config.data.num_classes == 2
                                            else [f"class_{i}" for i in range(config.data.num_classes)])
    for section_name in ("data", "train"):
        settle_pieces(section_name, getattr(config, section_name))
    if config.model.encoder and config.model.name == "unet":   # smp's Unet(encoder_name): the encoder U-Net
        config.model.name = "encoder_unet"
    _drop_other_models_options(config, tree.get("model") or {}, overrides or [], source)
    validate(config)
    return config


def _yaml_problem(error: yaml.YAMLError) -> str:
    """'line 3, column 7: mapping values are not allowed here' (PyYAML's mark counts from 0)."""
    mark, problem = getattr(error, "problem_mark", None), getattr(error, "problem", None)
    if mark is None or not problem:
        return str(error).splitlines()[0]
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def _drop_other_models_options(config: Config, written: dict[str, Any], overrides: list[str], source: str) -> None:
    """Model options a file sets for another network than the one chosen (`base_channels` of a U-Net config
    run with `model.encoder=...`) go back to their defaults, with one line saying so; the same option typed
    on the command line stays, and training refuses it (train/setup.py: model_args_for)."""
    models = registry_for("model.name")
    if models is None or config.model.name not in models:
        return   # an unknown model: validate names the key
    taken = models.arguments(config.model.name, skip=2)
    typed = {o.key.split(".", 1)[1] for o in parse_overrides(overrides) if o.key.startswith("model.")}
    defaults, dropped = ModelConfig(), []
    for key in written:
        if key in MODEL_RUN_KEYS or key in taken or key in typed or not hasattr(defaults, key):
            continue
        if getattr(config.model, key) != getattr(defaults, key):
            dropped.append(f"{key}={getattr(config.model, key)}")
            setattr(config.model, key, getattr(defaults, key))
    if dropped:
        log.warning("%s: model.%s %s for another network: model '%s' takes %s; left out", source,
                    ", model.".join(dropped), "is" if len(dropped) == 1 else "are", config.model.name,
                    ", ".join(taken) or "no options")


def check_overrides(overrides: list[str]) -> None:
    """Refuse unknown keys and wrong types in 'section.key=value' overrides, before any other work
    (the automatic plan reads the data first and validates the whole config after)."""
    _apply_overrides(Config(), overrides)


def _apply_overrides(config: Config, overrides: list[str]) -> None:
    for override in parse_overrides(overrides):
        set_key(config, override.key, override.value)


def load_config(path: str | Path | None, overrides: list[str] | None = None) -> Config:
    """Load a YAML config file (or only defaults when `path` is None) and apply overrides."""
    tree: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        try:
            tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise ConfigError(f"{path}: not valid YAML ({_yaml_problem(error)})") from None
        except UnicodeDecodeError as error:
            raise ConfigError(f"{path}: not a text file (byte {error.start} is not UTF-8)") from None
        except OSError as error:
            raise ConfigError(f"{path}: cannot be read ({error.strerror or error})") from None
    return from_dict(tree, overrides, source=str(path or "config"))


def to_dict(config: Config) -> dict[str, Any]:
    """The config as nested dicts (as YAML holds it): each section's keys, then the settings of its
    chosen pieces (`train: {loss: tversky, tversky: {alpha: 0.3, ...}}`) and of any other piece set."""
    tree: dict[str, Any] = {}
    for section_field in dataclasses.fields(config):
        section = getattr(config, section_field.name)
        values = {field.name: copy.deepcopy(getattr(section, field.name))
                  for field in dataclasses.fields(section) if field.name != "pieces"}
        for piece in chosen_pieces(section_field.name, section) + list(getattr(section, "pieces", {})):
            values.setdefault(piece, dataclasses.asdict(options_of(section, piece)))
        tree[section_field.name] = values
    return tree


def save_config(config: Config, path: str | Path) -> None:
    """The config as YAML, written atomically (a killed run's config.yaml is never half a file)."""
    from ..files import write_atomically
    text = yaml.safe_dump(to_dict(config), sort_keys=False).encode()
    write_atomically(path, lambda file: file.write(text))


def config_for_checkpoint(saved: Config | dict[str, Any], path: str | Path | None = None,
                          overrides: list[str] | None = None) -> Config:
    """A checkpoint's stored run config (a Config or its nested dict) with the data/infer sections of
    a config file and key=value overrides laid over it; model-defining keys must stay as the
    checkpoint was trained."""
    tree = to_dict(saved) if isinstance(saved, Config) else copy.deepcopy(saved)
    saved_data = dict(tree.get("data", {}))
    if path is not None:
        other = to_dict(load_config(path))
        keep = {key: saved_data[key] for key in ("channels", "num_classes", "class_names") if key in saved_data}
        tree["data"] = {**other["data"], **keep}
        tree["infer"] = other["infer"]
    config = from_dict(tree, overrides, source=str(path or "checkpoint config"))
    for key in ("channels", "num_classes"):
        if key in saved_data and getattr(config.data, key) != saved_data[key]:
            raise ConfigError(f"data.{key}={getattr(config.data, key)} does not match the checkpoint's "
                              f"{saved_data[key]} (the model was trained with it)")
    return config


def override_infer(settings: InferConfig, overrides: list[str]) -> InferConfig:
    """Inference settings with 'infer.key=value' overrides applied (other sections are refused)."""
    settings = copy.deepcopy(settings)
    config = Config(infer=settings)
    for override in parse_overrides(overrides):
        if not override.key.startswith("infer."):
            raise ConfigError(f"override '{override}': only inference settings (infer.key=value) apply here")
        set_key(config, override.key, override.value)
    check_infer_config(settings)
    return settings


def section_from_dict(section_type: type, values: dict[str, Any], source: str = "config") -> Any:
    """One section (e.g. DataConfig) from a mapping such as a checkpoint's stored run config; missing
    keys keep their defaults, unknown keys and wrong types are errors naming the key."""
    section_name = next(name for name, kind in typing.get_type_hints(Config).items() if kind is section_type)
    config = Config()
    for name, value in values.items():
        try:
            set_key(config, f"{section_name}.{name}", value)
        except ConfigError as error:
            raise ConfigError(f"{source}: {error}") from None
    return getattr(config, section_name)
