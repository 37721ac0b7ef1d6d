"""Predict over files and folders and write what users look at: label PNG, probabilities, overlay."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ..data.formats import find_partner
from ..data.io import is_image_file, read_image, read_roi
from ..errors import DataError, UnetkitError
from ..viz.overlay import save_label_png
from .predictor import Prediction, Predictor

log = logging.getLogger(__name__)


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


def write_prediction(prediction: Prediction, stem: str, out_dir: Path, num_classes: int,
                     overlay: bool = False, probabilities: bool = False, alpha: float = 0.7) -> list[Path]:
    """Write <stem>.png (labels), <stem>_probs.npy (float16 (K, H, W)), <stem>_overlay.png."""
    written = [out_dir / f"{stem}.png"]
    save_label_png(prediction.labels, written[0], num_classes)
    if probabilities:
        written.append(out_dir / f"{stem}_probs.npy")
        np.save(written[-1], prediction.probabilities.astype(np.float16))
    if overlay:
        written.append(out_dir / f"{stem}_overlay.png")
        Image.fromarray(prediction.overlay(alpha)).save(written[-1])
    return written


@dataclass
class PredictSummary:
    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def predict_files(predictor: Predictor, inputs: list[str | Path], out_dir: str | Path, overlay: bool = False,
                  probabilities: bool = False, alpha: float = 0.7, progress: bool = True,
                  roi_dir: str | Path | None = None) -> PredictSummary:
    """Segment every image in `inputs`; unreadable files are skipped with a warning, not fatal.

    With `roi_dir`, a mask of the same stem there (e.g. DRIVE's FOV) limits the prediction to its inside.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = list_inputs(inputs)
    summary = PredictSummary()
    unique_stems = len(files) == len({f.stem for f in files})
    from tqdm import tqdm
    for path in tqdm(files, desc="predict", unit="img", disable=not progress or len(files) < 2):
        try:
            image = read_image(path, predictor.config.data.channels)
            roi = read_roi(find_partner(Path(roi_dir), path.stem, path, "roi")) if roi_dir else None
        except UnetkitError as error:
            log.warning("skipped: %s", error)
            summary.skipped.append(str(error))
            continue
        prediction = predictor.predict(image)
        if roi is not None:
            prediction = prediction.restrict_to(roi)
        stem = path.stem if unique_stems else "_".join(path.with_suffix("").parts[-2:])
        summary.written += write_prediction(prediction, stem, out_dir, predictor.config.data.num_classes,
                                            overlay, probabilities, alpha)
    return summary
