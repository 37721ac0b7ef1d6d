"""Predict over files and folders and write what users look at: label PNGs, probabilities, overlays,
panels and contours, plus classes.json describing the colours."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ..data.formats import find_partner
from ..data.io import is_image_file, read_image, read_mask, read_roi
from ..errors import DataError, UnetkitError
from ..viz.overlay import draw_contours, save_label_png, save_probabilities_png
from ..viz.palette import binary_palette, voc_palette
from ..viz.panels import side_by_side
from .predictor import Prediction, Predictor

log = logging.getLogger(__name__)


@dataclass
class OutputOptions:
    """Which files to write per input besides the label PNG."""
    overlay: bool = False
    probabilities: str | None = None   # None | 'npy' (float16 (K, H, W)) | 'png' (16-bit)
    panel: bool = False                # input | prediction | ground truth (when masks are given)
    contours: bool = False
    alpha: float = 0.7


def list_inputs(inputs: list[str | Path]) -> list[Path]:
    """Expand files and directories (recursively) into image files, in a stable order."""
    files: list[Path] = []
    for entry in map(Path, inputs):
        if entry.is_dir():
            files += sorted(p for p in entry.rglob("*") if is_image_file(p))
        elif entry.is_file():
            files.append(entry)
        else:
            raise DataError(f"{entry}: no such file or folder")
    if not files:
        raise DataError(f"no image files found in {', '.join(map(str, inputs))}")
    return files


def write_classes_json(out_dir: Path, class_names: list[str]) -> Path:
    """classes.json: class id -> name and the colour used in label PNGs."""
    palette = binary_palette() if len(class_names) == 2 else voc_palette()
    classes = [{"id": i, "name": name, "color": [int(c) for c in palette[i]]} for i, name in enumerate(class_names)]
    path = out_dir / "classes.json"
    path.write_text(json.dumps({"classes": classes, "ignore_index": 255}, indent=2) + "\n")
    return path


def write_prediction(prediction: Prediction, stem: str, out_dir: Path, num_classes: int,
                     options: OutputOptions, ground_truth: np.ndarray | None = None) -> list[Path]:
    """Write <stem>.png and the optional <stem>_probs.npy/.png, _overlay, _panel, _contours PNGs."""
    written = [out_dir / f"{stem}.png"]
    save_label_png(prediction.labels, written[0], num_classes)
    if options.probabilities == "npy":
        written.append(out_dir / f"{stem}_probs.npy")
        np.save(written[-1], prediction.probabilities.astype(np.float16))
    elif options.probabilities == "png":
        written.append(out_dir / f"{stem}_probs.png")
        save_probabilities_png(prediction.probabilities, written[-1])
    pictures = {
        "overlay": options.overlay and (lambda: prediction.overlay(options.alpha)),
        "panel": options.panel and (lambda: side_by_side(prediction.image, prediction.labels, ground_truth,
                                                         num_classes)),
        "contours": options.contours and (lambda: draw_contours(prediction.image, prediction.labels)),
    }
    for name, make in pictures.items():
        if make:
            written.append(out_dir / f"{stem}_{name}.png")
            Image.fromarray(make()).save(written[-1])
    return written


@dataclass
class PredictSummary:
    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def predict_files(predictor: Predictor, inputs: list[str | Path], out_dir: str | Path,
                  options: OutputOptions | None = None, progress: bool = True, roi_dir: str | Path | None = None,
                  masks_dir: str | Path | None = None) -> PredictSummary:
    """Segment every image in `inputs`; unreadable files are skipped with a warning, not fatal.

    `roi_dir`: masks of the same stem (e.g. DRIVE's FOV) limit the prediction to their inside.
    `masks_dir`: ground-truth masks of the same stem, drawn in the panels.
    """
    options = options or OutputOptions()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = list_inputs(inputs)
    data = predictor.config.data
    write_classes_json(out_dir, predictor.class_names)
    summary = PredictSummary()
    unique_stems = len(files) == len({f.stem for f in files})
    from tqdm import tqdm
    for path in tqdm(files, desc="predict", unit="img", disable=not progress or len(files) < 2):
        try:
            image = read_image(path, data.channels)
            roi = read_roi(find_partner(Path(roi_dir), path.stem, path, "roi")) if roi_dir else None
            truth = (read_mask(find_partner(Path(masks_dir), path.stem, path, "mask"), data.mask, data.num_classes)
                     if masks_dir else None)
        except UnetkitError as error:
            log.warning("skipped: %s", error)
            summary.skipped.append(str(error))
            continue
        prediction = predictor.predict(image)
        if roi is not None:
            prediction = prediction.restrict_to(roi)
            if truth is not None:
                truth = np.where(roi, truth, 255).astype(np.uint8)  # outside the ROI: ignore (grey)
        stem = path.stem if unique_stems else "_".join(path.with_suffix("").parts[-2:])
        summary.written += write_prediction(prediction, stem, out_dir, data.num_classes, options, truth)
    if summary.skipped:
        log.warning("skipped %d of %d inputs (unreadable or missing partner files)", len(summary.skipped), len(files))
    return summary
