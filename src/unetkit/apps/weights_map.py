"""`unetkit weights-map`: draw the paper's border weight map of one training image as a PNG."""
from __future__ import annotations

from pathlib import Path

from PIL import Image

from ..config import load_config, options_of
from ..data import find_samples, load_sample
from ..data.border_weights import border_weight_map
from ..errors import DataError
from ..labels import IGNORE_INDEX
from ..viz.heatmap import heatmap


def write_weight_map(config_path: str | Path, image_index: int, out_path: str | Path,
                     overrides: list[str] | None = None) -> dict:
    """Compute the weight map (train.weighted_ce.w0, .sigma) of training image `image_index`
    and save it colour-mapped; returns the image path and the weight range (non-ignored pixels)."""
    config = load_config(config_path, overrides)
    files = find_samples(config.data, "train")
    if not 0 <= image_index < len(files):
        raise DataError(f"--image {image_index}: the training split has {len(files)} images (0..{len(files) - 1})")
    sample = load_sample(files[image_index], config.data, IGNORE_INDEX)
    border = options_of(config.train, "weighted_ce")
    weights = border_weight_map(sample.label, config.data.num_classes, border.w0, border.sigma, ignore_index=IGNORE_INDEX)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(heatmap(weights)).save(out_path)
    counted = weights[weights > 0]
    return {"image": files[image_index].image, "min": float(counted.min(initial=0.0)), "max": float(weights.max())}
