"""An exported ONNX model run by ONNX Runtime behind the SegmentationModel contract, so that the
Predictor (tiling, TTA, resizing, post-processing) and everything built on it work unchanged.

`Predictor.from_onnx(path)` is the way in. The CPU execution provider is used, CUDA's first where
onnxruntime offers it. The file's metadata (models/export_metadata.py) gives class names,
normalisation and the size contract.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..errors import ExportError
from ..models import ModelMeta, SegmentationModel
from ..models.export_metadata import read_export_metadata


def _session(path: Path, threads: int | None):
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    available = onnxruntime.get_available_providers()
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=providers)
    except Exception as error:  # noqa: BLE001 -- onnxruntime raises its own exception types for bad files
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ExportError(f"{path}: not a readable ONNX model ({first_line[:200]})") from None


class OnnxModel(SegmentationModel):
    """An ONNX file as a SegmentationModel: forward runs ONNX Runtime; the size contract is the
    original network's (rebuilt weightless from the metadata)."""

    def __init__(self, path: str | Path, threads: int | None = None):
        path = Path(path)
        if not path.is_file():
            raise ExportError(f"{path}: ONNX model not found")
        session = _session(path, threads)
        contract, meta = read_export_metadata(session.get_modelmeta().custom_metadata_map, str(path))
        super().__init__(contract.in_channels, contract.out_channels)
        self.path, self.session, self.meta = path, session, meta
        self.__dict__["_contract"] = contract   # not a submodule: weightless ('meta' device), never moved
        self.padding = contract.padding
        self._input_name = session.get_inputs()[0].name

    @property
    def size_multiple(self) -> int:
        return self._contract.size_multiple

    def output_size(self, input_size: int) -> int:
        return self._contract.output_size(input_size)

    def input_size_for(self, output_size: int) -> int:
        return self._contract.input_size_for(output_size)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Normalised images (N, C, H, W) -> logits (N, K, H', W') on the images' device."""
        array = np.ascontiguousarray(images.detach().float().cpu().numpy())
        (logits,) = self.session.run(None, {self._input_name: array})
        return torch.from_numpy(logits).to(images.device)


def load_onnx(path: str | Path, threads: int | None = None) -> tuple[OnnxModel, ModelMeta]:
    model = OnnxModel(path, threads)
    return model, model.meta
