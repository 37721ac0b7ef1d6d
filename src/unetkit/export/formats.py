"""Export formats, registered by name: ONNX (torch.onnx, ONNX Runtime to run it), TorchScript, and
safetensors (the weights alone, no pickle, for sharing; unetkit rebuilds the network from its header).

Each writes the network (normalised image in, logits out) with dynamic batch, height and width, and
the metadata of models/export_metadata.py inside the file; each can load its file back as a
function tensor -> logits for the parity check.
"""
from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import ExportError
from ..models import ModelMeta, SegmentationModel, load_model
from ..models.checkpoint import checkpoint_state, save_safetensors
from ..models.export_metadata import export_metadata
from ..registry import Registry

Runner = Callable[[torch.Tensor], torch.Tensor]
TORCHSCRIPT_METADATA = "unetkit.json"


@dataclass(frozen=True)
class ExportFormat:
    name: str
    suffix: str
    write: Callable[..., Path]     # (model, meta, path, sample, opset, dynamic) -> path
    load: Callable[[Path], Runner]


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:200]


def write_onnx(model: SegmentationModel, meta: ModelMeta, path: Path, sample: torch.Tensor, opset: int = 17,
               dynamic: bool = True) -> Path:
    import onnx
    axes = {"image": {0: "batch", 2: "height", 3: "width"}, "logits": {0: "batch", 2: "out_height", 3: "out_width"}}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # tracer warnings about shapes: the parity check is the judge
            torch.onnx.export(model, (sample,), str(path), input_names=["image"], output_names=["logits"],
                              opset_version=opset, dynamic_axes=axes if dynamic else None, dynamo=False)
    except Exception as error:  # noqa: BLE001 -- the exporter raises many types; the user needs one line
        raise ExportError(f"{path}: ONNX export failed ({type(error).__name__}: {_first_line(error)})") from None
    graph = onnx.load(str(path))
    for key, value in export_metadata(model, meta).items():
        graph.metadata_props.add(key=key, value=value)
    onnx.save(graph, str(path))
    return path


def load_onnx_runner(path: Path) -> Runner:
    from ..infer.onnx_backend import OnnxModel
    return OnnxModel(path)


def write_torchscript(model: SegmentationModel, meta: ModelMeta, path: Path, sample: torch.Tensor, opset: int = 17,
                      dynamic: bool = True) -> Path:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(model, sample, check_trace=False)
    except Exception as error:  # noqa: BLE001
        raise ExportError(f"{path}: TorchScript export failed ({type(error).__name__}: {_first_line(error)})") from None
    torch.jit.save(traced, str(path), _extra_files={TORCHSCRIPT_METADATA: json.dumps(export_metadata(model, meta))})
    return path


def load_torchscript_runner(path: Path) -> Runner:
    module = torch.jit.load(str(path), map_location="cpu").eval()

    def run(images: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return module(images)
    return run


def write_safetensors(model: SegmentationModel, meta: ModelMeta, path: Path, sample: torch.Tensor, opset: int = 17,
                      dynamic: bool = True) -> Path:
    """The weights without pickle (safetensors: a JSON header and raw tensors) and the checkpoint's
    model keys in the header; `unetkit predict/evaluate/serve --checkpoint FILE.safetensors` load it."""
    return save_safetensors(path, checkpoint_state(model, meta))


def load_safetensors_runner(path: Path) -> Runner:
    model, _ = load_model(path)

    def run(images: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return model(images)
    return run


EXPORT_FORMATS: Registry[ExportFormat] = Registry("export format")
EXPORT_FORMATS.register("onnx", ExportFormat("onnx", ".onnx", write_onnx, load_onnx_runner))
EXPORT_FORMATS.register("torchscript", ExportFormat("torchscript", ".pt", write_torchscript, load_torchscript_runner))
EXPORT_FORMATS.register("safetensors", ExportFormat("safetensors", ".safetensors", write_safetensors,
                                                    load_safetensors_runner))
