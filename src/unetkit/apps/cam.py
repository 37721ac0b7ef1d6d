"""`unetkit cam`: Grad-CAM maps of a checkpoint's classes on images and folders, per layer or as a sweep.

Per image, in <out>/<image stem>/: <class>_<layer>.png (the map in jet colours over the image),
<class>_<layer>.npy (the map, float16, the image's size, 0..1), and with a sweep <class>_sweep.png
(the prediction, then one tile per layer, shallow to deep). <out>/cam.json lists every map with its
faithfulness score (explain/faithfulness.py) and the random-order baseline.

Python API: `explain_images(checkpoint, inputs, out_dir, ...)`, `checkpoint_layers(checkpoint)`.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ..data.formats import find_partner
from ..data.io import read_image, read_roi
from ..errors import ConfigError, NoInputs, UnetkitError
from ..explain import Explainer, Explanation, Layer
from ..files import write_json
from ..infer import Predictor
from ..infer.predictor import inference_settings
from ..models import load_model
from ..progress import progress as progress_of
from ..viz.cam import cam_overlay, tile_grid
from ..viz.overlay import blend_overlay
from .common import mask_reading
from .predict import list_inputs

log = logging.getLogger(__name__)

SWEEPS = ("convs", "stages")


@dataclass
class CamSummary:
    """One row per (image, class, layer); the files written; inputs skipped with the reason."""
    rows: list[dict] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def load_explainer(checkpoint: str | Path, method: str = "gradcam", device: str = "auto",
                   faithfulness: bool = True, max_side: int | None = None,
                   score: str = "logodds") -> tuple[Explainer, object]:
    """The checkpoint's model, in fp32, with its normalisation and inference settings."""
    model, meta = load_model(checkpoint)
    predictor = Predictor(model, meta.normalization, meta.class_names, inference_settings(meta), device=device,
                          precision="fp32")
    return Explainer(predictor, method, max_side=max_side, score_faithfulness=faithfulness, score=score), meta


def checkpoint_layers(checkpoint: str | Path) -> list[Layer]:
    """The layers of the checkpoint's model one can explain, in forward order."""
    explainer, _ = load_explainer(checkpoint, faithfulness=False)
    return explainer.layers.listed()


def chosen_layers(explainer: Explainer, layers: list[str] | None, sweep: str | None) -> list[Layer]:
    if layers and sweep:
        raise ConfigError("give --layer or --sweep, not both")
    if sweep:
        if sweep not in SWEEPS:
            raise ConfigError(f"unknown sweep '{sweep}' ({', '.join(SWEEPS)})")
        return explainer.layers.convs() if sweep == "convs" else explainer.layers.stages
    return explainer.layers.resolve(layers) if layers else explainer.layers.default()


def explain_images(checkpoint: str | Path, inputs: list[str | Path], out_dir: str | Path,
                   classes: list[str] | None = None, layers: list[str] | None = None, sweep: str | None = None,
                   method: str = "gradcam", region: str = "pred", masks_dir: str | Path | None = None,
                   alpha: float = 0.5, device: str = "auto", faithfulness: bool = True,
                   progress: bool = True, score: str = "logodds") -> CamSummary:
    """Explain every image of `inputs` (files, folders): see the module docstring for what is written.

    region: 'pred' | 'gt' (with `masks_dir`) | 'all' | a mask file (the same for every image) or a
    folder of masks named like the images (nonzero = inside).
    """
    explainer, meta = load_explainer(checkpoint, method, device, faithfulness, score=score)
    targets = [explainer.class_index(c) for c in classes] if classes else explainer.foreground_classes()
    chosen = chosen_layers(explainer, layers, sweep)
    if region == "gt" and not masks_dir:
        raise ConfigError("--region gt needs --masks DIR (ground-truth masks named like the images)")
    if region not in ("pred", "gt", "all") and not Path(region).exists():
        raise ConfigError(f"--region {region}: not pred, gt, all, or an existing mask file or folder")
    files = list_inputs(inputs, NoInputs)
    out_dir = Path(out_dir)
    summary = CamSummary()
    for path in progress_of(files, "cam", "img", enabled=progress and len(files) > 1):
        try:
            image = read_image(path, explainer.model.in_channels)
            truth = (mask_reading(meta).read(find_partner(Path(masks_dir), path.stem, path, "mask"))
                     if masks_dir else None)
            explanations = explainer.explain(image, targets, chosen, _region_for(region, path), truth)
        except UnetkitError as error:   # unreadable, no partner mask, a mask of another size: next image
            log.warning("skipped %s: %s", path, error)
            summary.skipped.append(f"{path}: {error}")
            continue
        folder = out_dir / _safe(path.stem)
        folder.mkdir(parents=True, exist_ok=True)
        for explanation in explanations:
            summary.written += _write(explanation, image, folder, chosen, sweep is not None, alpha)
            summary.rows += _rows(explanation, path, chosen)
    if summary.rows:   # nothing explained (every input unreadable): no cam.json, and the command exits 1
        summary.written.append(write_json({"method": method, "score": score, "region": str(region),
                                           "maps": summary.rows}, out_dir / "cam.json"))
    return summary


def _region_for(region: str, image_path: Path) -> str | np.ndarray:
    if region in ("pred", "gt", "all"):
        return region
    where = Path(region)
    return read_roi(find_partner(where, image_path.stem, image_path, "region mask") if where.is_dir() else where)


def _write(explanation: Explanation, image: np.ndarray, folder: Path, layers: list[Layer], sweep: bool,
           alpha: float) -> list[Path]:
    written = []
    prefix = _safe(explanation.class_name)
    tiles = [("prediction", blend_overlay(image, explanation.labels))]
    for layer in layers:
        cam = explanation.maps[layer.name]
        overlay = cam_overlay(image, cam, alpha)
        stem = f"{prefix}_{_safe(layer.name)}"
        written += [folder / f"{stem}.png", folder / f"{stem}.npy"]
        Image.fromarray(overlay).save(written[-2])
        np.save(written[-1], cam.astype(np.float16))
        tiles.append((f"{layer.name} (/{layer.stride:g})", overlay))
    if sweep:
        title = f"{explanation.method}: class '{explanation.class_name}'"
        written.append(tile_grid(tiles, folder / f"{prefix}_sweep.png", title=title))
    return written


def _rows(explanation: Explanation, path: Path, layers: list[Layer]) -> list[dict]:
    return [{"image": str(path), "class": explanation.class_name, "layer": layer.name,
             "region_pixels": explanation.region_pixels, "absent": explanation.absent,
             "faithfulness": explanation.faithfulness.get(layer.name),
             "random_baseline": explanation.random_baseline} for layer in layers]


def _safe(name: str) -> str:
    """A file-name-safe version of a class or layer name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
