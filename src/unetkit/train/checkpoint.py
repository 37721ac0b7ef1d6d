"""Checkpoints: written atomically (temp file + rename), loaded safely (weights_only=True).

A checkpoint is self-contained: model weights plus the resolved config, class names and input
normalisation, so `Predictor.from_checkpoint` needs nothing else.
"""
from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..config import Config, from_dict, output_channels
from ..data.dataset import Normalization
from ..errors import CheckpointError
from ..models import build_model

FORMAT_VERSION = 1


def save_checkpoint(state: dict[str, Any], path: str | Path) -> None:
    """Write `state` to `path` so that a crash or kill never leaves a half-written file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save({"format_version": FORMAT_VERSION, **state}, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a unetkit checkpoint without executing arbitrary pickled code."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else error.__class__.__name__
        raise CheckpointError(f"{path}: not a readable checkpoint ({first_line[:200]})") from None
    if not isinstance(state, dict) or "model" not in state or "config" not in state:
        raise CheckpointError(f"{path}: not a unetkit checkpoint (no model weights and config inside)")
    return state


def model_from_checkpoint(state: dict[str, Any], path: str | Path = "checkpoint") -> tuple[nn.Module, Config, Normalization]:
    """Rebuild the model from a loaded checkpoint and load its weights."""
    config = from_dict(state["config"], source=str(path))
    model = build_model(config.model, config.data.channels, output_channels(config))
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as error:
        raise CheckpointError(f"{path}: weights do not fit the model in its config "
                              f"({str(error).splitlines()[0]})") from None
    return model, config, Normalization.from_dict(state["normalization"])
