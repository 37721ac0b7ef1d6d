"""`unetkit export`: a checkpoint's network as an ONNX, pt2 (torch.export) or TorchScript file with its metadata inside,
checked against the checkpoint before the command succeeds."""
from __future__ import annotations

import logging
from pathlib import Path

from ..errors import ExportError
from ..export import (
    EXPORT_FORMATS,
    TOLERANCE,
    max_probability_difference,
    metadata_differences,
    parity_inputs,
    parity_sizes,
)
from ..models import load_model
from ..models.export_metadata import export_metadata
from ..output_paths import output_file

log = logging.getLogger(__name__)

DEFAULT_NAMES = {"onnx": "{stem}.onnx", "torchscript": "{stem}_torchscript.pt", "safetensors": "{stem}.safetensors",
                 "pt2": "{stem}.pt2", "aoti": "{stem}_aoti.pt2"}


def export_checkpoint(checkpoint: str | Path, format: str = "onnx", out: str | Path | None = None,
                      opset: int = 17, static_size: int | None = None) -> dict:
    """Export the checkpoint's network; returns {'path', 'format', 'max_difference', 'sizes'}.

    Dynamic batch, height and width unless `static_size` fixes the input to static_size^2. The parity
    check runs the file and the checkpoint on random and image-like inputs at several sizes; a
    difference of probabilities above 1e-4 is an ExportError (and the file is removed)."""
    checkpoint = Path(checkpoint)
    export_format = EXPORT_FORMATS[format]
    path = output_file(Path(out) if out else checkpoint.with_name(DEFAULT_NAMES[format].format(stem=checkpoint.stem)))
    model, meta = load_model(checkpoint)
    model = model.float().eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    if static_size is not None:
        try:
            model.output_size(static_size)
        except ValueError as error:
            raise ExportError(f"--static {static_size}: {error} for this network") from None
    side = static_size or model.input_size_for(max(128, 4 * model.size_multiple))
    sample = parity_inputs(model, [(side, side)])[1]
    export_format.write(model, meta, path, sample, opset, static_size is None)
    sizes = [(side, side)] if static_size else parity_sizes(model, side)
    difference = max_probability_difference(model, export_format.load(path), parity_inputs(model, sizes, seed=1))
    if not difference <= TOLERANCE:
        path.unlink(missing_ok=True)
        raise ExportError(f"{path}: parity check failed: probabilities differ from {checkpoint}'s by up to "
                          f"{difference:.2e} (> {TOLERANCE:g}) at sizes {sizes}; the file was removed")
    wrong = metadata_differences(export_metadata(model, meta), export_format.metadata(path)) if export_format.metadata else []
    if wrong:
        path.unlink(missing_ok=True)
        raise ExportError(f"{path}: parity check failed: its metadata ({', '.join(wrong)}) is not {checkpoint}'s, so "
                          f"its users would feed or read it wrongly; the file was removed")
    log.info("exported %s to %s (%s); parity: max |difference| %.2e at %s", checkpoint, path, format,
             difference, sizes)
    return {"path": path, "format": format, "max_difference": difference, "sizes": sizes}


def quantize_export(checkpoint: str | Path, calibrate_dir: str | Path, out: str | Path | None = None,
                    masks_dir: str | Path | None = None, opset: int = 17, max_images: int = 64) -> dict:
    """ONNX export (checked), then int8 static quantization calibrated on the images of
    `calibrate_dir`; with `masks_dir` (masks of the same stems), the score of the fp32 and int8 models
    on those images, stored in the int8 file's metadata. Returns export_checkpoint's dict plus
    'int8_path' and 'accuracy'."""
    from ..data.formats import find_partner
    from ..data.io import read_image
    from ..export.quantize import calibration_crops, quantize_int8, record_accuracy
    from .predict import list_inputs
    checkpoint = Path(checkpoint)
    int8_path = output_file(Path(out) if out else checkpoint.with_name(f"{checkpoint.stem}_int8.onnx"))
    result = export_checkpoint(checkpoint, "onnx", int8_path.with_name(f"{int8_path.stem}_fp32.onnx"), opset)
    model, meta = load_model(checkpoint)
    files = list_inputs([calibrate_dir])[:max_images]
    images = [read_image(path, model.in_channels) for path in files]
    side = model.input_size_for(256)
    quantize_int8(result["path"], int8_path, calibration_crops(images, side, meta.normalization))
    accuracy = None
    if masks_dir is not None:
        from .common import mask_reading
        truths = [mask_reading(meta).read(find_partner(Path(masks_dir), path.stem, path, "mask")) for path in files]
        accuracy = _compare_on_masks(result["path"], int8_path, images, truths)
        record_accuracy(int8_path, accuracy)
        log.info("int8 on %d images: %s %.4f (fp32 %.4f)", len(images), accuracy["metric"], accuracy["int8"],
                 accuracy["fp32"])
    return {**result, "int8_path": int8_path, "accuracy": accuracy}


def _compare_on_masks(fp32_path: Path, int8_path: Path, images, truths) -> dict:
    """F1 (binary) or mIoU of the fp32 and the int8 model on labelled images."""
    import numpy as np
    import torch

    from ..infer import Predictor
    from ..metrics import SegmentationMetrics
    scores = {}
    for name, path in (("fp32", fp32_path), ("int8", int8_path)):
        predictor = Predictor.from_onnx(path)
        metrics = SegmentationMetrics(predictor.num_classes, predictor.class_names, predictor.threshold)
        for image, truth in zip(images, truths):
            probabilities = predictor.probabilities(image)
            metrics.update(probabilities, torch.from_numpy(truth.astype(np.int64)), predictor.labels_from(probabilities))
        scores[name] = metrics.compute()
    key = "f1" if len(scores["fp32"]["iou_per_class"]) == 2 else "miou"
    return {"metric": key, "images": len(images), "fp32": scores["fp32"][key], "int8": scores["int8"][key],
            "drop": scores["fp32"][key] - scores["int8"][key]}
