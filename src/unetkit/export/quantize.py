"""int8 ONNX models: static quantization by ONNX Runtime (QDQ, per-channel int8 weights, uint8
activations), calibrated on crops of the user's images, and the accuracy it costs on their masks."""
from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..errors import ExportError
from ..models import Normalization

CALIBRATION_CROPS = 32   # crops in all, spread over the images


def calibration_crops(images: list[np.ndarray], side: int, normalization: Normalization,
                      count: int = CALIBRATION_CROPS, seed: int = 0) -> list[np.ndarray]:
    """Normalised float32 crops (1, C, side, side), mirror-padded where an image is smaller."""
    rng = np.random.default_rng(seed)
    crops = []
    mean = np.asarray(normalization.mean, np.float32)
    std = np.asarray(normalization.std, np.float32)
    for index in range(count):
        image = images[index % len(images)]
        pad_y, pad_x = max(0, side - image.shape[0]), max(0, side - image.shape[1])
        if pad_y or pad_x:
            image = np.pad(image, ((0, pad_y), (0, pad_x), (0, 0)), mode="reflect")
        top = int(rng.integers(image.shape[0] - side + 1))
        left = int(rng.integers(image.shape[1] - side + 1))
        crop = (image[top:top + side, left:left + side].astype(np.float32) / 255.0 - mean) / std
        crops.append(np.ascontiguousarray(crop.transpose(2, 0, 1)[None]))
    return crops


def _calibration_reader(input_name: str, crops: list[np.ndarray]):
    """onnxruntime's CalibrationDataReader over prepared crops."""
    from onnxruntime.quantization import CalibrationDataReader

    class CropReader(CalibrationDataReader):
        def __init__(self):
            self._items: Iterator[dict] = iter([{input_name: crop} for crop in crops])

        def get_next(self) -> dict | None:
            return next(self._items, None)
    return CropReader()


def quantize_int8(fp32_path: Path, out_path: Path, crops: list[np.ndarray]) -> Path:
    """Statically quantize an exported fp32 ONNX model, calibrated on `crops`; the metadata is kept."""
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process
    reader = _calibration_reader("image", crops)
    with tempfile.TemporaryDirectory() as folder:
        prepared = Path(folder) / "prepared.onnx"
        try:
            quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
            quantize_static(str(prepared), str(out_path), reader, quant_format=QuantFormat.QDQ,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True)
        except Exception as error:  # noqa: BLE001 -- onnxruntime's tools raise many types
            text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ExportError(f"{out_path}: int8 quantization failed ({text[:200]})") from None
    metadata = {p.key: p.value for p in onnx.load(str(fp32_path)).metadata_props}
    add_metadata(out_path, {**metadata, "quantization": "int8 static (QDQ, per-channel weights), "
                                                        f"{len(crops)} calibration crops"})
    return out_path


def add_metadata(path: Path, values: dict[str, str]) -> None:
    """Set key/values in an ONNX file's metadata (replacing keys that exist)."""
    import onnx
    graph = onnx.load(str(path))
    kept = {p.key: p.value for p in graph.metadata_props}
    kept.update(values)
    del graph.metadata_props[:]
    for key, value in kept.items():
        graph.metadata_props.add(key=key, value=str(value) if not isinstance(value, str) else value)
    onnx.save(graph, str(path))


def record_accuracy(path: Path, accuracy: dict) -> None:
    add_metadata(path, {"int8_accuracy": json.dumps(accuracy)})
