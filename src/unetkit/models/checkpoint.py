"""Checkpoints, saved and loaded in one place: the schema is this file.

A checkpoint holds a model's weights beside its own name and arguments (nanoGPT's `model_args`,
smp's stored init kwargs), so the network is rebuilt without the run config; beside them, what
prediction needs (class names, input normalisation, ignore label), the run's resolved config
when a training run wrote it (its data and inference settings are the defaults of `evaluate` and
`predict`), and optionally what a resumed run needs (optimizer, scheduler, counters).

Files are written atomically (temp file + rename) and loaded with weights_only=True, so a crash
never leaves half a checkpoint and loading one never runs pickled code.
"""
from __future__ import annotations

import io
import json
import pickle
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..errors import CheckpointError, ConfigError
from ..files import write_atomically
from ..labels import IGNORE_INDEX
from .base import SegmentationModel
from .normalization import Normalization
from .registry import MODELS, build_model, select_model_args, stored_model_args

FORMAT_VERSION = 2
# version 2 keys; version 1 (unetkit before the model contract) had only model, config, normalization
# and the training state, and is upgraded on load (_upgrade_version_1)
MODEL_KEYS = ("model", "model_name", "model_args", "in_channels", "out_channels")
TRAINING_KEYS = ("optimizer", "scheduler", "train_state", "weight_average")


@dataclass
class ModelMeta:
    """What a checkpoint says besides the network: how to feed it and how to read its output."""
    class_names: list[str]
    normalization: Normalization
    ignore_index: int = IGNORE_INDEX
    run_config: dict[str, Any] | None = None   # the training run's resolved config, as in its config.yaml
    class_weights: list[float] | None = None   # the loss's class weights when training used them (resolved:
                                               # train.class_weights=auto is stored as the numbers)
    trained_with_roi: bool = False             # training saw a loss inside ROI masks only (infer/roi.py)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def save_checkpoint(path: str | Path, model: SegmentationModel, meta: ModelMeta,
                    training: dict[str, Any] | None = None) -> Path:
    """Write model (built by build_model, so it knows its spec), meta and optional training state
    (keys optimizer, scheduler, train_state) to `path`, atomically."""
    spec = getattr(model, "spec", None)
    if spec is None:
        raise ValueError("save_checkpoint needs a model made by build_model (it records the model's name "
                         "and arguments so the checkpoint can rebuild it)")
    unknown = set(training or {}) - set(TRAINING_KEYS)
    if unknown:
        raise ValueError(f"unknown training state keys {sorted(unknown)} (expected {TRAINING_KEYS})")
    state = {**checkpoint_state(model, meta), **(training or {})}
    return write_atomically(path, _serialized(state))


def _serialized(state: dict[str, Any]):
    """torch.save into memory first, so a failing disk surfaces as the OSError of a plain write (which
    write_atomically turns into a clear StorageError) rather than from inside torch's zip writer."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return lambda file: file.write(buffer.getbuffer())


def checkpoint_state(model: SegmentationModel, meta: ModelMeta) -> dict[str, Any]:
    """What any checkpoint of `model` holds besides a training state (the schema's model part)."""
    spec = model.spec
    return {"format_version": FORMAT_VERSION, "model": model.state_dict(), "model_name": spec.name,
            "model_args": dict(spec.args), "in_channels": spec.in_channels, "out_channels": spec.out_channels,
            "class_names": list(meta.class_names), "normalization": meta.normalization.to_dict(),
            "ignore_index": meta.ignore_index, "config": meta.run_config, "class_weights": meta.class_weights,
            "trained_with_roi": meta.trained_with_roi}


SAFETENSORS_METADATA = "unetkit"   # the safetensors header key holding everything but the weights, as JSON


def save_safetensors(path: str | Path, state: dict[str, Any]) -> Path:
    """A loaded checkpoint's weights and model/meta keys as a .safetensors file (no pickle at all:
    a JSON header and raw tensors), atomically; the training state is left out."""
    from safetensors.torch import save
    described = {key: value for key, value in state.items() if key != "model" and key not in TRAINING_KEYS}
    tensors = {name: tensor.detach().cpu().contiguous() for name, tensor in state["model"].items()}
    payload = save(tensors, metadata={SAFETENSORS_METADATA: json.dumps(described)})
    return write_atomically(path, lambda file: file.write(payload))


def _load_safetensors(path: Path, map_location: str | torch.device) -> dict[str, Any]:
    from safetensors import SafetensorError, safe_open
    try:
        with safe_open(str(path), framework="pt") as file:
            described = json.loads((file.metadata() or {})[SAFETENSORS_METADATA])
            tensors = {name: file.get_tensor(name) for name in file.keys()}   # noqa: SIM118 (not a dict)
    except (SafetensorError, OSError, ValueError, KeyError, TypeError) as error:
        first_line = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"{path}: not a unetkit .safetensors file ({first_line})") from None
    if not isinstance(described, dict):
        raise CheckpointError(f"{path}: not a unetkit .safetensors file (its '{SAFETENSORS_METADATA}' entry)")
    return {**described, "model": {name: tensor.to(map_location) for name, tensor in tensors.items()}}


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """The checkpoint's contents (current schema, whatever version wrote it), loaded without running
    any pickled code; a .safetensors file (unetkit export --format safetensors) holds no pickle at all."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    if path.suffix.lower() == ".safetensors":
        return _check_schema(_load_safetensors(path, map_location), path)
    try:
        with warnings.catch_warnings():   # e.g. "Detected pickle protocol 160": noise for a file that is refused
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:   # noqa: BLE001 - torch.load is a parser of arbitrary bytes: any failure means
        raise CheckpointError(f"{path}: {_why_unreadable(error)}") from None   # the file, not unetkit
    return _check_schema(state, path)


def _check_schema(state: Any, path: Path) -> dict[str, Any]:
    if not isinstance(state, dict) or "model" not in state:
        raise CheckpointError(f"{path}: not a unetkit checkpoint (no model weights inside)")
    if state.get("format_version", 1) == 1:
        state = _upgrade_version_1(state, path)
    missing = [key for key in MODEL_KEYS + ("class_names", "normalization") if key not in state]
    if missing:
        raise CheckpointError(f"{path}: not a unetkit checkpoint (missing {', '.join(missing)})")
    wrong = [key for key, kind in SCHEMA_TYPES.items() if not _has_type(state.get(key), kind)]
    if wrong:
        raise CheckpointError(f"{path}: not a unetkit checkpoint ({', '.join(wrong)} of the wrong type)")
    return state


SCHEMA_TYPES = {"model": "weights", "model_name": str, "model_args": dict, "in_channels": "count",
                "out_channels": "count", "class_names": "names", "normalization": dict}


def _has_type(value: Any, kind: Any) -> bool:
    if kind == "weights":
        return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                               for k, v in value.items())
    if kind == "count":
        return isinstance(value, int) and not isinstance(value, bool) and value > 0
    if kind == "names":
        return isinstance(value, list) and len(value) >= 1 and all(isinstance(name, str) for name in value)
    return isinstance(value, kind)


def _why_unreadable(error: Exception) -> str:
    """One line for a file torch.load refused: code-running pickles are named as such; torch's own
    advice (load with weights_only=False, i.e. run the file's code) is not repeated."""
    text = str(error)
    if isinstance(error, pickle.UnpicklingError) and ("Unsupported global" in text or "GLOBAL" in text):
        found = re.search(r"GLOBAL ([\w.]+)", text)
        return ("refused: it holds Python objects other than weights" + (f" ({found.group(1)})" if found else "")
                + "; unetkit loads weights only and never runs code from a checkpoint")
    if isinstance(error, OSError) and error.strerror:
        return f"cannot be read ({error.strerror})"
    return ("not a readable checkpoint: corrupt, truncated or not a PyTorch file "
            f"({error.__class__.__name__})")


def _upgrade_version_1(state: dict[str, Any], path: Path) -> dict[str, Any]:
    """Version 1 described the model by the whole run config; derive the model's own arguments."""
    config = state.get("config")
    if not isinstance(config, dict) or "normalization" not in state:
        raise CheckpointError(f"{path}: not a unetkit checkpoint (no model weights and config inside)")
    try:
        data, model, train = config["data"], config["model"], config["train"]
        name = model.get("name", "unet")
        upgraded = {"model_name": name, "model_args": select_model_args(name, model),
                    "in_channels": data["channels"],
                    # version 1's rule for the head: one sigmoid channel for BCE, else one per class
                    "out_channels": 1 if train["loss"] == "bce" else data["num_classes"],
                    "class_names": data["class_names"], "ignore_index": IGNORE_INDEX}
    except (KeyError, TypeError, ConfigError) as error:
        raise CheckpointError(f"{path}: version-1 checkpoint with an incomplete config ({error})") from None
    return {**state, **upgraded, "format_version": FORMAT_VERSION}


def model_from_state(state: dict[str, Any], path: str | Path = "checkpoint") -> tuple[SegmentationModel, ModelMeta]:
    """Rebuild the network of a loaded checkpoint, load its weights; returns (model in eval mode, meta)."""
    name = state["model_name"]
    if name not in MODELS:
        raise CheckpointError(f"{path}: model '{name}' is not available in this unetkit "
                              f"(available: {', '.join(MODELS.names())})")
    try:
        model = build_model(name, state["in_channels"], state["out_channels"],
                            **stored_model_args(name, state["model_args"]))
        model.load_state_dict(state["model"])
    except (RuntimeError, ConfigError, TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: weights do not fit model '{name}' with its stored arguments "
                              f"({str(error).splitlines()[0][:200]})") from None
    try:
        meta = ModelMeta(list(state["class_names"]), Normalization.from_dict(state["normalization"]),
                         state.get("ignore_index", IGNORE_INDEX), state.get("config"), state.get("class_weights"),
                         _trained_with_roi(state))
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: not a unetkit checkpoint (its normalization: {error!r})") from None
    return model.eval(), meta


def _trained_with_roi(state: dict[str, Any]) -> bool:
    """The checkpoint's record; before it was kept, DRIVE runs (the format that always reads its FOV masks)."""
    if "trained_with_roi" in state:
        return bool(state["trained_with_roi"])
    return ((state.get("config") or {}).get("data") or {}).get("format") == "drive"


def load_model(path: str | Path, map_location: str | torch.device = "cpu") -> tuple[SegmentationModel, ModelMeta]:
    """(model, meta) from a checkpoint file: the network rebuilt from its own name and arguments."""
    return model_from_state(load_checkpoint(path, map_location), path)


def update_stored_settings(path: str | Path, section: str, values: dict[str, Any]) -> Path:
    """Change keys of one section of the run config stored in a checkpoint (e.g. the inference
    settings chosen after training), rewriting the file atomically; weights are untouched."""
    state = load_checkpoint(path)
    config = dict(state.get("config") or {})
    config[section] = {**config.get(section, {}), **values}
    state["config"] = config
    return write_atomically(path, _serialized(state))
