"""Export formats, registered by name: ONNX (torch.onnx, ONNX Runtime to run it), pt2 (torch.export's
ExportedProgram, `torch.export.load`), aoti (the same program compiled ahead of time by AOTInductor
into a package that runs without Python model code), TorchScript (deprecated by torch in favour of
torch.export; kept while torch ships it), and safetensors (the weights alone, no pickle, for sharing;
unetkit rebuilds the network from its header).

Each writes the network (normalised image in, logits out) with dynamic batch, height and width, and
the metadata of models/export_metadata.py inside the file; each can load its file back as a
function tensor -> logits for the parity check.
"""
from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from contextlib import contextmanager
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
    metadata: Callable[[Path], dict[str, str]] | None = None   # what the file says of itself (export_metadata's
                                                                # keys), checked after export; None: it carries none


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


def read_onnx_metadata(path: Path) -> dict[str, str]:
    import onnx
    return {prop.key: prop.value for prop in onnx.load(str(path)).metadata_props}


def read_torchscript_metadata(path: Path) -> dict[str, str]:
    files = {TORCHSCRIPT_METADATA: ""}
    with _torchscript_deprecation_silenced():
        torch.jit.load(str(path), map_location="cpu", _extra_files=files)
    return json.loads(files[TORCHSCRIPT_METADATA] or "{}")


def read_pt2_metadata(path: Path) -> dict[str, str]:
    files = {TORCHSCRIPT_METADATA: ""}
    torch.export.load(str(path), extra_files=files)
    return json.loads(files[TORCHSCRIPT_METADATA] or "{}")


def read_safetensors_metadata(path: Path) -> dict[str, str]:
    model, meta = load_model(path)
    return export_metadata(model, meta)


def load_onnx_runner(path: Path) -> Runner:
    from ..infer.onnx_backend import OnnxModel
    return OnnxModel(path)


@contextmanager
def _torchscript_deprecation_silenced():
    """torch 2.14 deprecates torch.jit.save/load in favour of torch.export (the pt2 format here). The
    TorchScript export stays for the users whose runtimes (LibTorch in C++, older deployments) read it,
    so its warning is silenced here, in the one place that calls them; the parity check still judges
    the file."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.(save|load|trace)` is deprecated", category=FutureWarning)
        yield


def write_torchscript(model: SegmentationModel, meta: ModelMeta, path: Path, sample: torch.Tensor, opset: int = 17,
                      dynamic: bool = True) -> Path:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(model, sample, check_trace=False)
    except Exception as error:  # noqa: BLE001
        raise ExportError(f"{path}: TorchScript export failed ({type(error).__name__}: {_first_line(error)})") from None
    with _torchscript_deprecation_silenced():
        torch.jit.save(traced, str(path), _extra_files={TORCHSCRIPT_METADATA: json.dumps(export_metadata(model, meta))})
    return path


def load_torchscript_runner(path: Path) -> Runner:
    with _torchscript_deprecation_silenced():
        module = torch.jit.load(str(path), map_location="cpu").eval()

    def run(images: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return module(images)
    return run


def _exported_program(model: SegmentationModel, path: Path, sample: torch.Tensor, dynamic: bool):
    """torch.export of the network; batch, height and width dynamic unless `dynamic` is False. Height
    and width are declared as the sizes the network accepts (k x its size multiple, plus the offset a
    valid-padding network needs), so the exporter can resolve the pooling's floor divisions."""
    from torch.export import Dim
    shapes = None
    if dynamic:
        multiple, smallest = model.size_multiple, model.input_size_for(1)
        height, width = sample.shape[-2:]
        sample = torch.cat([sample, sample])   # a batch of 1 would be specialised to 1

        def side(name: str, traced: int):   # k x multiple + offset, from the smallest size the network takes
            offset = traced % multiple
            return multiple * Dim(name, min=max(1, -(-(smallest - offset) // multiple)), max=1024) + offset
        shapes = ({0: Dim("batch", max=1024), 2: side("rows", height), 3: side("columns", width)},)
    try:
        return torch.export.export(model, (sample,), dynamic_shapes=shapes)
    except Exception as error:  # noqa: BLE001 -- torch.export raises many types; the user needs one line
        raise ExportError(f"{path}: torch.export failed ({type(error).__name__}: {_first_line(error)})") from None


def write_pt2(model: SegmentationModel, meta: ModelMeta, path: Path, sample: torch.Tensor, opset: int = 17,
              dynamic: bool = True) -> Path:
    """torch.export's ExportedProgram with the metadata as an extra file: `torch.export.load(path)`."""
    program = _exported_program(model, path, sample, dynamic)
    torch.export.save(program, str(path), extra_files={TORCHSCRIPT_METADATA: json.dumps(export_metadata(model, meta))})
    return path


def load_pt2_runner(path: Path) -> Runner:
    module = torch.export.load(str(path)).module()

    def run(images: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return module(images)
    return run


def write_aoti(model: SegmentationModel, meta: ModelMeta, path: Path, sample: torch.Tensor, opset: int = 17,
               dynamic: bool = True) -> Path:
    """The exported program compiled by AOTInductor (needs a C++ compiler; minutes on a small CPU) into
    a package: `torch._inductor.aoti_load_package(path)` runs it, from Python or C++ (LibTorch)."""
    from torch._inductor import aoti_compile_and_package
    if path.suffix != ".pt2":
        raise ExportError(f"{path}: an AOTInductor package must end in .pt2")
    program = _exported_program(model, path, sample, dynamic)
    try:
        aoti_compile_and_package(program, package_path=str(path))
    except Exception as error:  # noqa: BLE001 -- a missing compiler and the like: one line
        path.unlink(missing_ok=True)
        raise ExportError(f"{path}: AOTInductor compilation failed ({type(error).__name__}: "
                          f"{_first_line(error)}); the pt2 format needs no compiler") from None
    return path


def load_aoti_runner(path: Path) -> Runner:
    from torch._inductor import aoti_load_package
    compiled = aoti_load_package(str(path))

    def run(images: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return compiled(images)
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
EXPORT_FORMATS.register("onnx", ExportFormat("onnx", ".onnx", write_onnx, load_onnx_runner, read_onnx_metadata))
EXPORT_FORMATS.register("pt2", ExportFormat("pt2", ".pt2", write_pt2, load_pt2_runner, read_pt2_metadata))
EXPORT_FORMATS.register("aoti", ExportFormat("aoti", ".pt2", write_aoti, load_aoti_runner))
EXPORT_FORMATS.register("torchscript", ExportFormat("torchscript", ".pt", write_torchscript, load_torchscript_runner,
                                                    read_torchscript_metadata))
EXPORT_FORMATS.register("safetensors", ExportFormat("safetensors", ".safetensors", write_safetensors,
                                                    load_safetensors_runner, read_safetensors_metadata))
