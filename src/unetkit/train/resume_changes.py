"""What may change when a run is resumed: the keys that decide how long and how it is watched, not
what is learnt. `unetkit train --out RUN --resume train.epochs=N` extends a finished run this way;
the learning-rate schedule is rebuilt for the new number of epochs and continues from the step the
run reached (a cosine schedule is re-stretched to the new end: the rate rises again from where the
old end had brought it and decays to the new end)."""
from __future__ import annotations

from typing import Any

from ..config import Config, to_dict
from ..errors import ConfigError

SAFE_ON_RESUME = ("train.epochs", "train.patience", "train.val_every", "train.max_minutes", "train.save_every",
                  "train.progress", "train.device", "train.precision", "train.precision_used", "train.compile",
                  "train.compile_mode", "data.workers", "data.cache_mb", "train.rank_timeout", "train.sync_batchnorm",
                  "train.calibrate", "train.tune_class_bias", "infer.")


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def changed_keys(saved: Config, config: Config) -> dict[str, tuple[Any, Any]]:
    """key -> (saved value, new value) for every key that differs."""
    before, after = _flat(to_dict(saved)), _flat(to_dict(config))
    return {key: (before.get(key), after.get(key)) for key in after if before.get(key) != after.get(key)}


def check_resume_changes(saved: Config, config: Config, epochs_done: int) -> list[str]:
    """The safe keys that change (for the log); a one-line ConfigError for the first unsafe one, or
    for fewer epochs than the run already trained."""
    changes = changed_keys(saved, config)
    unsafe = [key for key in changes if not key.startswith(SAFE_ON_RESUME)]
    if unsafe:
        key = unsafe[0]
        old, new = changes[key]
        raise ConfigError(f"--resume: {key} was {old!r} in this run, now {new!r}; a resumed run may change only "
                          f"{', '.join(k + '*' if k.endswith('.') else k for k in SAFE_ON_RESUME)} "
                          f"(to change more, start a new run with model.init_from=RUN/best.pt)")
    if config.train.epochs < epochs_done:
        raise ConfigError(f"--resume: train.epochs={config.train.epochs} is below the {epochs_done} epochs this run "
                          f"has already trained")
    return [f"{key}: {old!r} -> {new!r}" for key, (old, new) in changes.items()]
