"""The files `predict` writes per image: label PNGs, probabilities, overlays, panels, contours and
uncertainty maps, plus classes.json describing the colours (and uncertainty.csv, per-image means)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..files import write_json
from ..infer.predictor import Prediction
from ..labels import IGNORE_INDEX
from ..viz.heatmap import heatmap
from ..viz.overlay import draw_contours, save_label_png, save_probabilities_png
from ..viz.palette import binary_palette, voc_palette
from ..viz.panels import side_by_side


@dataclass
class OutputOptions:
    """Which files to write per input besides the label PNG."""
    overlay: bool = False
    probabilities: str | None = None   # None | 'npy' (float16 (K, H, W)) | 'png' (16-bit)
    panel: bool = False                # input | prediction | ground truth (when masks are given)
    contours: bool = False
    alpha: float = 0.7
    palette: str = "default"           # default | user: the training masks' colours (data.colors)
    colours: np.ndarray | None = None  # (256, 3) uint8: the palette chosen (set by `predict` from the checkpoint)
    uncertainty: bool = False          # <name>_entropy.png (and _mutual_information.png with several views);
                                       # as float16 .npy too when probabilities == 'npy'
    export: tuple[str, str] | None = None   # (format, file): the predictions as pre-annotations for an annotation
                                       # tool (data/annotations/pre_annotations.py: coco, cvat, label_studio)
    image_url: str = ""                # prefixed to each image's name in the export (Label Studio's image URLs)


def user_palette(colours: list[list[int]]) -> np.ndarray:
    """(256, 3) uint8: the classes' own colours (data.colors) first, VOC's palette after (the ignore label white)."""
    palette = voc_palette()
    palette[:len(colours)] = np.asarray(colours, np.uint8)
    return palette


def write_classes_json(out_dir: Path, class_names: list[str], ignore_index: int = IGNORE_INDEX,
                       palette: np.ndarray | None = None) -> Path:
    """classes.json: class id -> name and the colour used in label PNGs."""
    if palette is None:
        palette = binary_palette() if len(class_names) == 2 else voc_palette()
    classes = [{"id": i, "name": name, "color": [int(c) for c in palette[i]]} for i, name in enumerate(class_names)]
    return write_json({"classes": classes, "ignore_index": ignore_index}, out_dir / "classes.json")


def write_prediction(prediction: Prediction, stem: str, out_dir: Path, num_classes: int,
                     options: OutputOptions, ground_truth: np.ndarray | None = None) -> list[Path]:
    """Write <stem>.png and the optional <stem>_probs.npy/.png, _overlay, _panel, _contours PNGs."""
    written = [out_dir / f"{stem}.png"]
    colours = options.colours
    save_label_png(prediction.labels, written[0], num_classes, colours)
    if options.probabilities == "npy":
        written.append(out_dir / f"{stem}_probs.npy")
        np.save(written[-1], prediction.probabilities.astype(np.float16))
    elif options.probabilities == "png":
        written.append(out_dir / f"{stem}_probs.png")
        save_probabilities_png(prediction.probabilities, written[-1])
    pictures = {
        "overlay": options.overlay and (lambda: prediction.overlay(options.alpha, colours)),
        "panel": options.panel and (lambda: side_by_side(prediction.image, prediction.labels, ground_truth,
                                                         num_classes, palette=colours)),
        "contours": options.contours and (lambda: draw_contours(prediction.image, prediction.labels, colours)),
    }
    for name, make in pictures.items():
        if make:
            written.append(out_dir / f"{stem}_{name}.png")
            Image.fromarray(make()).save(written[-1])
    if options.uncertainty and prediction.uncertainty is not None:
        written += _write_uncertainty(prediction, stem, out_dir, options.probabilities == "npy")
    return written


def _write_uncertainty(prediction: Prediction, stem: str, out_dir: Path, as_npy: bool) -> list[Path]:
    """Heat maps on a fixed scale (0 = certain, bright = the entropy of a uniform guess, log K), and
    the maps in nats as float16 .npy when asked."""
    maps, written = prediction.uncertainty, []
    for name in ("entropy", "mutual_information"):
        if getattr(maps, name) is None:
            continue
        written.append(out_dir / f"{stem}_{name}.png")
        Image.fromarray(heatmap(maps.normalised(name).numpy(), maximum=1.0)).save(written[-1])
        if as_npy:
            written.append(out_dir / f"{stem}_{name}.npy")
            np.save(written[-1], getattr(maps, name).numpy().astype(np.float16))
    return written


def write_uncertainty_csv(rows: list[dict], out_dir: Path) -> Path:
    """uncertainty.csv: per image its mean entropy (and mean mutual information), most uncertain first."""
    import csv
    path = out_dir / "uncertainty.csv"
    keys = ["image"] + sorted({key for row in rows for key in row} - {"image"})
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, keys)
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda row: -row["mean_entropy"]))
    return path
