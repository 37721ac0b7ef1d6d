"""The parity check every export ends with: the exported model and the checkpoint's network give the
same class probabilities, on random inputs and on smooth, image-like ones, at several sizes
(square and not, larger than the size the export was traced at)."""
from __future__ import annotations

import json
from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..losses import class_probabilities
from ..models import SegmentationModel

TOLERANCE = 1e-4   # max |difference| of probabilities in fp32


def parity_inputs(model: SegmentationModel, sizes: list[tuple[int, int]], seed: int = 0) -> list[torch.Tensor]:
    """Normalised inputs (1, C, H, W): for each size, one of random noise and one image-like (a
    blurred, upsampled random field: smooth regions and edges, as real images have)."""
    generator = torch.Generator().manual_seed(seed)
    inputs = []
    for height, width in sizes:
        noise = torch.randn(1, model.in_channels, height, width, generator=generator)
        coarse = torch.randn(1, model.in_channels, max(2, height // 16), max(2, width // 16), generator=generator)
        smooth = F.interpolate(coarse, size=(height, width), mode="bicubic", align_corners=False) * 1.5
        inputs += [noise, smooth]
    return inputs


def parity_sizes(model: SegmentationModel, traced_side: int) -> list[tuple[int, int]]:
    """Input sizes the check runs: the traced one, a non-square one and a larger one, all accepted
    by the network."""
    multiple = model.size_multiple
    fit = model.input_size_for
    return [(traced_side, traced_side), (fit(traced_side + 3 * multiple), fit(traced_side + multiple)),
            (fit(2 * traced_side), fit(2 * traced_side))]


def max_probability_difference(model: SegmentationModel, run_exported: Callable[[torch.Tensor], torch.Tensor],
                               inputs: list[torch.Tensor]) -> float:
    """Largest |p_exported - p_checkpoint| over the inputs (fp32, on the CPU)."""
    worst = 0.0
    model = model.eval().float().cpu()
    for images in inputs:
        with torch.no_grad():
            expected = class_probabilities(model(images))
        got = class_probabilities(run_exported(images))
        if got.shape != expected.shape:
            return float("inf")
        worst = max(worst, float((got - expected).abs().max()))
    return worst


CHECKED_METADATA = ("model_name", "model_args", "in_channels", "out_channels", "class_names", "normalization",
                    "ignore_index")   # what a user of the file relies on to feed it and read its output


def metadata_differences(expected: dict[str, str], found: dict[str, str]) -> list[str]:
    """The checked keys whose value in the exported file is not the checkpoint's (JSON values compared
    as values, not as text)."""
    def value(text: str | None):
        try:
            return json.loads(text) if text is not None else None
        except (TypeError, ValueError):
            return text
    return [key for key in CHECKED_METADATA if value(found.get(key)) != value(expected.get(key))]
