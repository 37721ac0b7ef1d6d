"""What an exported model (ONNX, TorchScript) carries besides its graph, so that it is usable on its
own: class names, input normalisation, the size contract, the inference settings of its run.

Stored as string key/values (ONNX `metadata_props`, a JSON file inside a TorchScript archive). The
size contract is recovered by rebuilding the network from its name and arguments on the 'meta'
device (no memory, no weights): the exported graph runs the numbers, the contract says which sizes.
"""
from __future__ import annotations

import json
from importlib import metadata as package_metadata
from typing import Any

import torch

from ..errors import ExportError, UnetkitError
from .base import SegmentationModel
from .checkpoint import ModelMeta
from .normalization import Normalization
from .registry import build_model, stored_model_args

METADATA_VERSION = "1"


def _unetkit_version() -> str:
    try:
        return package_metadata.version("unetkit")
    except package_metadata.PackageNotFoundError:
        return "unknown"


def export_metadata(model: SegmentationModel, meta: ModelMeta) -> dict[str, str]:
    """String key/values describing `model` (built by build_model) and how to feed and read it."""
    spec = model.spec
    infer = (meta.run_config or {}).get("infer", {})
    return {"unetkit_metadata_version": METADATA_VERSION, "unetkit_version": _unetkit_version(),
            "model_name": spec.name, "model_args": json.dumps(spec.args),
            "in_channels": str(spec.in_channels), "out_channels": str(spec.out_channels),
            "class_names": json.dumps(list(meta.class_names)),
            "normalization": json.dumps(meta.normalization.to_dict()),
            "ignore_index": str(meta.ignore_index), "size_multiple": str(model.size_multiple),
            "padding": model.padding, "input": "image float32 (N, C, H, W), (x / 255 - mean) / std",
            "output": "logits (N, K, H', W'); sigmoid for K = 1, softmax otherwise",
            "infer": json.dumps(infer), "trained_with_roi": json.dumps(bool(meta.trained_with_roi))}


def read_export_metadata(values: dict[str, str], source: str) -> tuple[SegmentationModel, ModelMeta]:
    """(the network's size contract on the 'meta' device, ModelMeta) from an exported file's metadata."""
    try:
        args: dict[str, Any] = json.loads(values["model_args"])
        with torch.device("meta"):
            contract = build_model(values["model_name"], int(values["in_channels"]), int(values["out_channels"]),
                                   **stored_model_args(values["model_name"], args))
        meta = ModelMeta(json.loads(values["class_names"]), Normalization.from_dict(json.loads(values["normalization"])),
                         int(values["ignore_index"]), {"infer": json.loads(values.get("infer", "{}"))},
                         trained_with_roi=bool(json.loads(values.get("trained_with_roi", "false"))))
    except (KeyError, ValueError, TypeError, UnetkitError) as error:
        raise ExportError(f"{source}: not a unetkit export (metadata: {error})") from None
    return contract, meta
