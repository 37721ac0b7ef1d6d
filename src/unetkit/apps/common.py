"""What the commands share: a checkpoint's stored run config as the base for their own settings."""
from __future__ import annotations

from typing import Any

from ..data.io import MaskReading
from ..models import ModelMeta, SegmentationModel


def stored_run_config(model: SegmentationModel, meta: ModelMeta) -> dict[str, Any]:
    """The run config a training run stored with the checkpoint; for a checkpoint saved without one,
    just the data keys the model fixes (channels, classes)."""
    if meta.run_config:
        return meta.run_config
    return {"data": {"channels": model.in_channels, "num_classes": meta.num_classes,
                     "class_names": list(meta.class_names)}}


def mask_reading(meta: ModelMeta) -> MaskReading:
    """How ground-truth masks are read for this model: as its training run read them (mode, void
    value, colours), else binary for two classes and class ids otherwise."""
    stored = dict((meta.run_config or {}).get("data", {}))
    stored["num_classes"] = meta.num_classes
    return MaskReading.from_data(stored)
