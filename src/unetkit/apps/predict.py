"""`unetkit predict`: segment images, folders of images and videos with a checkpoint, write the results.

Python API: `predict(checkpoint, inputs, out_dir, ...)` as the command does it; `predict_files` for a
Predictor already in hand; `measure_speed` for the fps figure.
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import override_infer
from ..data.annotations.pre_annotations import PRE_ANNOTATIONS
from ..data.annotations.regions import PredictedImage
from ..data.formats import find_partner
from ..data.io import (
    MaskReading,
    is_file,
    is_folder,
    is_image_file,
    read_image,
    read_roi,
)
from ..errors import ConfigError, DataError, NoInputs, UnetkitError
from ..files import write_atomically
from ..infer.ensemble import load_models
from ..infer.predictor import Predictor, inference_settings
from ..infer.speed import measure_fps
from ..labels import IGNORE_INDEX
from ..models import ModelMeta
from ..progress import progress as progress_of
from .common import mask_reading
from .prediction_outputs import (
    OutputOptions,
    user_palette,
    write_classes_json,
    write_prediction,
    write_uncertainty_csv,
)
from .video import is_video_file, predict_video

log = logging.getLogger(__name__)


@dataclass
class PredictSummary:
    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    videos: list[tuple[Path, int, Path]] = field(default_factory=list)   # (input, frames, output)


def list_inputs(inputs: list[str | Path], nothing: type[DataError] = DataError) -> list[Path]:
    """Expand files and directories (recursively) into image files, in a stable order; none is a `nothing`
    error (NoInputs for predict and cam, whose exit status 1 says that nothing came out)."""
    files: list[Path] = []
    for entry in map(Path, inputs):
        if is_folder(entry):
            files += sorted(p for p in entry.rglob("*") if is_image_file(p))
        elif is_file(entry):
            files.append(entry)
        else:
            raise DataError(f"{entry}: no such file or folder")
    if not files:
        raise nothing(f"nothing to do: no image files found in {', '.join(map(str, inputs))}")
    return files


def load_predictor(checkpoint: str | Path | list[str | Path], overrides: list[str] | None = None, device: str = "auto",
                   tta: bool = False) -> tuple[Predictor, ModelMeta]:
    """The checkpoint's Predictor with its stored inference settings, 'infer.key=value' overrides laid
    over them; and the checkpoint's metadata. A `.onnx` file (unetkit export) runs on ONNX Runtime."""
    items = list(checkpoint) if isinstance(checkpoint, (list, tuple)) else [checkpoint]
    if len(items) == 1 and Path(items[0]).suffix.lower() == ".onnx":
        from ..infer.onnx_backend import load_onnx
        model, meta = load_onnx(items[0])
        settings = override_infer(inference_settings(meta), [*(overrides or []), *(["infer.tta=true"] if tta else [])])
        return Predictor(model, meta.normalization, meta.class_names, settings, device="cpu", precision="fp32",
                         trained_with_roi=meta.trained_with_roi), meta
    model, meta, paths = load_models(items)   # several (or a folds directory): probabilities averaged
    settings = override_infer(inference_settings(meta), [*(overrides or []), *(["infer.tta=true"] if tta else [])])
    predictor = Predictor(model, meta.normalization, meta.class_names, settings, device=device,
                          optimize=len(paths) == 1,   # BatchNorm folding knows single networks
                          trained_with_roi=meta.trained_with_roi)
    return predictor, meta


def predict_files(predictor: Predictor, inputs: list[str | Path], out_dir: str | Path,
                  options: OutputOptions | None = None, progress: bool = True, roi_dir: str | Path | None = None,
                  masks_dir: str | Path | None = None, masks: MaskReading | None = None,
                  ignore_index: int = IGNORE_INDEX) -> PredictSummary:
    """Segment every image in `inputs`; unreadable files are skipped with a warning, not fatal.

    `roi_dir`: masks of the same stem (e.g. DRIVE's FOV) limit the prediction to their inside; 'auto'
    derives each image's field of view (infer/roi.py).
    `masks_dir`: ground-truth masks of the same stem (read as `masks` says: default binary), drawn
    in the panels.
    """
    options = options or OutputOptions()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = list_inputs(inputs, NoInputs)
    write_classes_json(out_dir, predictor.class_names, ignore_index, options.colours)
    summary = PredictSummary()
    unique_stems = len(files) == len({f.stem for f in files})
    export = PRE_ANNOTATIONS[options.export[0]](predictor.class_names, options.image_url) if options.export else None
    uncertain_rows = []
    for path in progress_of(files, "predict", "img", enabled=progress and len(files) > 1):
        try:
            image = read_image(path, predictor.in_channels)
            roi = (read_roi(find_partner(Path(roi_dir), path.stem, path, "roi")) if roi_dir and str(roi_dir) != "auto"
                   else "auto" if roi_dir else None)
            truth = ((masks or MaskReading()).read(find_partner(Path(masks_dir), path.stem, path, "mask"))
                     if masks_dir else None)
        except UnetkitError as error:
            log.warning("skipped: %s", error)
            summary.skipped.append(str(error))
            continue
        if isinstance(roi, str):
            roi = predictor.region_of_interest(image, roi)   # --roi auto: the image's field of view
        prediction = predictor.predict(image, uncertainty=options.uncertainty, roi=roi)
        if roi is not None:
            if truth is not None:
                truth = np.where(roi, truth, ignore_index).astype(np.uint8)  # outside the ROI: ignored (grey)
        stem = path.stem if unique_stems else "_".join(path.with_suffix("").parts[-2:])
        summary.written += write_prediction(prediction, stem, out_dir, predictor.num_classes, options, truth)
        if export is not None:   # the image's name as the tool knows it: the file's, or with its folder where names repeat
            name = path.name if unique_stems else "/".join(path.parts[-2:])
            export.add(PredictedImage(name, prediction.labels, prediction.probabilities))
        if prediction.uncertainty is not None:
            uncertain_rows.append({"image": str(path), **prediction.uncertainty.summary()})
    if uncertain_rows:
        summary.written.append(write_uncertainty_csv(uncertain_rows, out_dir))
    if export is not None and export.count:
        text = export.text().encode("utf-8")
        summary.written.append(write_atomically(options.export[1], lambda file: file.write(text)))
        log.info("%d images' predictions written as %s pre-annotations to %s", export.count, options.export[0],
                 options.export[1])
    if summary.skipped:
        log.warning("skipped %d of %d inputs (unreadable or missing partner files)", len(summary.skipped), len(files))
    return summary


def predict(checkpoint: str | Path, inputs: list[str | Path], out_dir: str | Path,
            options: OutputOptions | None = None, roi_dir: str | Path | None = None,
            masks_dir: str | Path | None = None, overrides: list[str] | None = None, device: str = "auto",
            tta: bool = False, progress: bool = True) -> PredictSummary:
    """Videos become <name>_overlay.mp4 in out_dir; images (files or folders) go through predict_files."""
    predictor, meta = load_predictor(checkpoint, overrides, device, tta)
    options = options or OutputOptions()
    if options.palette == "user":
        options = dataclasses.replace(options, colours=palette_of(meta, checkpoint))
    videos = [Path(i) for i in inputs if is_video_file(Path(i))]
    summary = PredictSummary()
    for video in videos:
        out_path = Path(out_dir) / f"{video.stem}_overlay.mp4"
        frames = predict_video(predictor, video, out_path, alpha=options.alpha, progress=progress)
        summary.videos.append((video, frames, out_path))
    images = [i for i in inputs if Path(i) not in videos]
    if images:
        found = predict_files(predictor, images, out_dir, options, progress, roi_dir, masks_dir, mask_reading(meta),
                              meta.ignore_index)
        summary.written, summary.skipped = found.written, found.skipped
    return summary


def palette_of(meta: ModelMeta, source) -> np.ndarray:
    """The training masks' colours (data.colors of the run stored in the checkpoint) as a palette."""
    colours = ((meta.run_config or {}).get("data") or {}).get("colors") or []
    if not colours or len(colours) != len(meta.class_names):
        raise ConfigError(f"{source}: --palette user needs the colours of colour masks (data.colors), and this "
                          f"model was trained on masks without them; use --palette default")
    return user_palette(colours)


def measure_speed(checkpoint: str | Path, inputs: list[str | Path], repetitions: int,
                  overrides: list[str] | None = None, device: str = "auto", tta: bool = False) -> dict:
    """The fps figure on the first input image: images/s and ms/image over warm repetitions."""
    predictor, _ = load_predictor(checkpoint, overrides, device, tta)
    first = list_inputs(inputs)[0]
    speed = measure_fps(predictor, read_image(first, predictor.in_channels), repetitions)
    return {**speed, "image": first, "device": str(predictor.device), "precision": predictor.precision}
