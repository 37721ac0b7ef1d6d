"""Typed run configuration, validated once when loaded.

sections.py: the sections (data, augment, model, train, infer) as dataclasses with their defaults;
options.py: settings a registered piece (loss, schedule, optimizer, data format) declares beside its
code; overrides.py: the one reader of key=value settings; values.py: setting a dotted key, type-checked;
validation.py: choices, ranges, cross-field and per-piece rules; loading.py: YAML files, nested dicts
(a checkpoint's stored config), saving.
"""
from .loading import (
    check_overrides,
    config_for_checkpoint,
    from_dict,
    load_config,
    override_infer,
    save_config,
    section_from_dict,
    to_dict,
)
from .options import above, at_least, between, one_of, option, options_of
from .overrides import (
    Override,
    is_override,
    override_values,
    parse_override,
    parse_overrides,
    split_overrides,
    sweep_values,
)
from .sections import AugmentConfig, Config, DataConfig, InferConfig, ModelConfig, TrainConfig
from .validation import CHOICES, POSTPROCESS_STEPS, RANGES, check_infer_config

__all__ = [
    "CHOICES", "POSTPROCESS_STEPS", "RANGES", "AugmentConfig", "Config", "DataConfig", "InferConfig",
    "ModelConfig", "Override", "TrainConfig", "above", "at_least", "between", "check_infer_config", "check_overrides",
    "config_for_checkpoint", "from_dict", "is_override", "load_config", "one_of", "option", "options_of", "override_infer",
    "override_values", "parse_override", "parse_overrides", "save_config", "section_from_dict", "split_overrides",
    "sweep_values", "to_dict",
]
