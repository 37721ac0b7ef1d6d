"""Run a trained model on images of any size: resize (optional), tile or pad, TTA and MC-dropout views,
temperature, post-process; and, when asked, how uncertain each pixel is (infer/uncertainty.py).

The Predictor relies only on the SegmentationModel contract (models/base.py) for sizes, and is
given the model's metadata (normalisation, class names) and the inference settings explicitly.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..config import AugmentConfig, InferConfig, check_infer_config, section_from_dict
from ..errors import ConfigError
from ..losses import class_probabilities
from ..models import ModelMeta, Normalization, SegmentationModel, load_model
from ..runtime import autocast, choose_precision, memory_format, resolve_device
from .optimize import optimize_for_inference
from .padding import crop_output, pad_for_model
from .postprocess import postprocess_labels
from .resize import letterbox, restore, stretch
from .scales import probabilities_to_size, rescale_image
from .tiling import overlap_tile_inference, sliding_window_inference
from .tta import tta_transforms
from .uncertainty import UncertaintyMaps, ViewAccumulator

log = logging.getLogger(__name__)


@dataclass
class Prediction:
    """labels uint8 (H, W) class ids; probabilities float32 (K, H, W), one plane per class; uncertainty
    maps when asked for (Predictor.predict(..., uncertainty=True))."""
    labels: np.ndarray
    probabilities: np.ndarray
    image: np.ndarray | None = None
    uncertainty: UncertaintyMaps | None = None

    def restrict_to(self, roi: np.ndarray) -> Prediction:
        """Outside the region of interest (bool (H, W)) everything is background, with certainty."""
        labels = np.where(roi, self.labels, 0).astype(np.uint8)
        probabilities = self.probabilities * roi
        probabilities[0] += ~roi
        maps = self.uncertainty
        if maps is not None:
            inside = torch.from_numpy(roi)
            maps = UncertaintyMaps(torch.from_numpy(probabilities), maps.entropy * inside,
                                   None if maps.mutual_information is None else maps.mutual_information * inside,
                                   maps.views)
        return Prediction(labels, probabilities, self.image, maps)

    def overlay(self, alpha: float = 0.7, palette: np.ndarray | None = None) -> np.ndarray:
        """The input blended with the class colours where a class other than background is predicted."""
        from ..viz.overlay import blend_overlay
        if self.image is None:
            raise ValueError("this prediction holds no input image to draw on")
        return blend_overlay(self.image, self.labels, alpha=alpha, palette=palette)


def predict_probabilities(model: SegmentationModel, images: torch.Tensor, precision: str = "fp32") -> torch.Tensor:
    """Class probabilities (N, K, H, W) for normalised images (N, C, H, W) of any size, whole-image."""
    padded, plan = pad_for_model(model, images)
    with torch.no_grad(), autocast(images.device, precision):
        logits = model(padded.contiguous(memory_format=memory_format(precision, images.device)))
    return class_probabilities(crop_output(logits, plan))


def largest_valid_input(model: SegmentationModel, limit: int) -> int:
    """The largest input side <= limit that a (valid-padding) model accepts."""
    for size in range(limit, 0, -1):
        try:
            model.output_size(size)
            return size
        except ValueError:
            continue
    raise ValueError(f"no input size up to {limit} fits this model; raise infer.tile")


def inference_settings(meta: ModelMeta) -> InferConfig:
    """The inference settings a training run stored with its checkpoint (defaults otherwise), with
    infer.tta_flips=trained resolved from the run's augmentation (with_trained_flips)."""
    run_config = meta.run_config or {}
    settings = section_from_dict(InferConfig, run_config.get("infer", {}), source="checkpoint config")
    return with_trained_flips(settings, run_config.get("augment"))


def with_trained_flips(settings: InferConfig, augment: AugmentConfig | dict[str, Any] | None) -> InferConfig:
    """infer.tta_flips=trained made concrete from the run's augmentation: 'horizontal' when the run
    turned vertical flips off (upright scenes, train/plan.py), 'all' otherwise and for checkpoints that
    stored no augmentation. A Predictor given 'trained' unresolved flips every way, as before."""
    if settings.tta_flips != "trained":
        return settings
    if isinstance(augment, AugmentConfig):
        augment = dataclasses.asdict(augment)
    vertical = augment is None or all(augment.get(key, True) for key in ("enabled", "flips", "vertical_flips"))
    return dataclasses.replace(settings, tta_flips="all" if vertical else "horizontal")


def _with_changes(settings: InferConfig, changes: dict[str, Any]) -> InferConfig:
    """`settings` with keyword changes (tile=256, tta=True), checked."""
    if not changes:
        return settings
    unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(InferConfig)})
    if unknown:
        raise ConfigError(f"unknown inference setting {unknown[0]!r} "
                          f"(settings: {', '.join(f.name for f in dataclasses.fields(InferConfig))})")
    settings = dataclasses.replace(settings, **changes)
    check_infer_config(settings)
    return settings


class Predictor:
    """A model with everything needed to turn images into predictions (usable without the CLI).

    `settings` (tile, overlap, blend, batch, tta, resize, threshold, precision, ...) default to
    InferConfig(); `precision`, when given, replaces settings.precision. optimize=True runs an
    inference copy of the model (BatchNorm folded into the convs, bf16 weights when running in bf16;
    see infer/optimize.py); `model` itself is left as it is. A model still being trained calls
    `refresh()` before each use, so the copy follows its weights: training's validation and
    `evaluate` then run the same network and give one checkpoint one score.
    """

    def __init__(self, model: SegmentationModel, normalization: Normalization, class_names: Sequence[str],
                 settings: InferConfig | None = None, device: str | torch.device = "auto",
                 precision: str | None = None, optimize: bool = False, trained_with_roi: bool = False):
        self.settings = settings if settings is not None else InferConfig()
        self.trained_with_roi = trained_with_roi   # predictions outside an ROI are arbitrary (infer/roi.py)
        self._roi_warned = False
        self.device = resolve_device(str(device))
        self.precision_choice = choose_precision(precision or self.settings.precision, self.device,
                                                 key="precision" if precision else "infer.precision")
        self.precision = self.precision_choice.precision
        fmt = memory_format(self.precision, self.device)
        # a model in training keeps its own memory format: only the optimized copy takes the inference one
        self.model = (model.to(self.device) if optimize else model.to(self.device, memory_format=fmt)).eval()
        self.normalization = normalization
        self.class_names = list(class_names)
        self._optimize = optimize
        self._optimized = None
        self.refresh()
        self._mean = torch.tensor(normalization.mean, device=self.device).view(1, -1, 1, 1)
        self._std = torch.tensor(normalization.std, device=self.device).view(1, -1, 1, 1)

    def refresh(self) -> None:
        """Rebuild the optimized copy from the model's current weights (optimize=True only)."""
        if self._optimize:
            self._optimized = optimize_for_inference(self.model, self.precision).to(
                memory_format=memory_format(self.precision, self.device))

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "auto", precision: str | None = None,
                        settings: InferConfig | None = None, **changes: Any) -> Predictor:
        """Load a checkpoint. `settings` default to the inference settings stored with it; keyword
        `changes` adjust them (`Predictor.from_checkpoint(path, tile=256, tta=True)`); `precision`
        replaces infer.precision."""
        model, meta = load_model(path)
        settings = _with_changes(settings if settings is not None else inference_settings(meta), changes)
        return cls(model, meta.normalization, meta.class_names, settings, device=device, precision=precision,
                   optimize=True, trained_with_roi=meta.trained_with_roi)

    @classmethod
    def from_onnx(cls, path: str | Path, settings: InferConfig | None = None, threads: int | None = None,
                  **changes: Any) -> Predictor:
        """An exported ONNX model run by ONNX Runtime (infer/onnx_backend.py), with the inference settings
        stored in it unless `settings` are given; keyword `changes` adjust them. Outputs equal the
        checkpoint's (the export's parity check)."""
        from .onnx_backend import load_onnx
        model, meta = load_onnx(path, threads)
        settings = _with_changes(settings if settings is not None else inference_settings(meta), changes)
        return cls(model, meta.normalization, meta.class_names, settings, device="cpu", precision="fp32",
                   trained_with_roi=meta.trained_with_roi)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def in_channels(self) -> int:
        return self.model.in_channels

    @property
    def tile_batch(self) -> int:
        """Tiles per forward pass: infer.batch, or for 0 (auto) 1 on a CPU and 8 on a GPU.

        On a CPU a single 256x256 tile runs 14% faster per tile than a batch of 4 (activations stay in
        cache; docs/benchmarks.md); a GPU needs batches to fill it.
        """
        if self.settings.batch:
            return self.settings.batch
        return 1 if self.device.type == "cpu" else 8

    @property
    def inference_model(self) -> SegmentationModel:
        """The network predictions run: the optimized copy, else `model` in eval mode (a model
        shared with a training loop may have been put back in training mode); with infer.mc_dropout
        the model itself, its dropout switched on by `_dropout_on`."""
        if self.settings.mc_dropout:
            return self.model
        return self._optimized if self._optimized is not None else self.model.eval()

    @contextmanager
    def _dropout_on(self) -> Iterator[None]:
        """infer.mc_dropout: the model's dropout layers sample (BatchNorm stays in eval mode)."""
        if not self.settings.mc_dropout:
            yield
            return
        dropouts = [m for m in self.model.modules() if isinstance(m, torch.nn.modules.dropout._DropoutNd)]
        if not dropouts:
            raise ConfigError("infer.mc_dropout needs a model with dropout (trained with model.dropout or "
                              "model.bottleneck_dropout > 0); this one has none")
        self.model.eval()
        for module in dropouts:
            module.train()
        try:
            yield
        finally:
            self.model.eval()

    @property
    def threshold(self) -> float:
        return self.settings.threshold

    def forward_tiles(self, tiles: torch.Tensor) -> torch.Tensor:
        """uint8 tiles (N, C, h, w) on the device -> probabilities (N, K, h', w') on the device."""
        model = self.inference_model
        images = (tiles.to(self.device, non_blocking=True).float() / 255.0 - self._mean) / self._std
        # bf16 for an optimized bf16 copy; float32 for a model without parameters (an ONNX Runtime session)
        dtype = next(iter(model.parameters()), torch.empty(0)).dtype
        images = images.to(dtype).contiguous(memory_format=memory_format(self.precision, self.device))
        with torch.no_grad(), autocast(self.device, self.precision):
            logits = model(images)
        if self.settings.temperature != 1.0:   # infer.temperature (fitted by train.calibrate)
            logits = logits.float() / self.settings.temperature
        return class_probabilities(logits)

    def _probabilities_at_native_size(self, image: torch.Tensor) -> torch.Tensor:
        """uint8 (C, H, W) on the device -> (K, H, W) on the device: whole image when it fits in a
        tile, else tiled; tiles are cut and blended on the device."""
        infer = self.settings
        height, width = image.shape[-2:]
        # whole image when the network input it needs (with padding or the valid model's border
        # context) fits in one tile; a valid model on 512x512 slices with 572 tiles is overlap-tiled
        needed = max(self.model.input_size_for(height), self.model.input_size_for(width))
        if infer.tile == 0 or needed <= infer.tile:
            padded, plan = pad_for_model(self.model, image[None].float())  # small enough to pad whole
            return crop_output(self.forward_tiles(padded), plan)[0]
        # 'aligned' keeps every tile origin on the pooling grid, so tiles see what the whole image would
        align = infer.grid == "aligned"
        if self.model.padding == "valid":
            input_tile = largest_valid_input(self.model, infer.tile)
            return overlap_tile_inference(image, self.forward_tiles, self.model.output_size(input_tile),
                                          input_tile, self.tile_batch, self.model.size_multiple, align)
        tile = max(self.model.size_multiple, infer.tile - infer.tile % self.model.size_multiple)
        return sliding_window_inference(image, self.forward_tiles, tile, infer.overlap, self.tile_batch, infer.blend,
                                        self.model.size_multiple, align)

    def probabilities(self, image: np.ndarray) -> torch.Tensor:
        """uint8 image (H, W, C) -> probabilities (K, H, W) float32 on the CPU."""
        return self._views(image, with_entropy=False).probabilities

    def uncertainty(self, image: np.ndarray) -> UncertaintyMaps:
        """The mean probabilities of the views (flips with infer.tta, passes with infer.mc_dropout, the
        members of an ensemble) and the entropy and mutual-information maps, on the CPU."""
        return self._views(image, with_entropy=True)

    def _views(self, image: np.ndarray, with_entropy: bool) -> UncertaintyMaps:
        infer = self.settings
        plan = None
        if infer.resize == "letterbox":
            image, plan = letterbox(image, infer.size, infer.pad_value)
        elif infer.resize == "stretch":
            image, plan = stretch(image, infer.size)
        # the image goes to the device once (TTA flips it there); on a GPU, cutting and blending
        # tiles on the CPU would otherwise be the bottleneck
        tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).to(self.device)
        views = (tta_transforms(infer.tta, infer.tta_rotations, vertical=infer.tta_flips != "horizontal")
                 if infer.tta or infer.tta_rotations else [None])
        members = getattr(self.inference_model, "member_views", None)   # an ensemble: each member a view
        accumulator = ViewAccumulator(with_entropy)
        height, width = tensor.shape[-2:]
        with self._dropout_on():
            for scale in infer.scales:   # infer.scales (infer/scales.py): each view at every scale
                scaled = rescale_image(tensor, scale)
                for view in views:
                    for _ in range(max(1, infer.mc_dropout)):
                        for member in members() if with_entropy and members is not None else [None]:
                            with member if member is not None else _nothing():
                                output = self._probabilities_at_native_size(scaled if view is None else view[0](scaled))
                            output = output if view is None else view[1](output)
                            accumulator.add(probabilities_to_size(output, height, width))
        maps = accumulator.maps() if with_entropy else UncertaintyMaps(accumulator.mean(), None, None, accumulator.views)
        return _restored(maps, plan)

    def labels_from(self, probabilities: torch.Tensor) -> torch.Tensor:
        """Class ids uint8 (H, W) from probabilities (K, H, W): the threshold on the foreground for
        binary tasks, argmax otherwise (of the log-probabilities plus infer.class_bias, when set); then
        infer.postprocess (infer/postprocess.py), if any."""
        bias = self.settings.class_bias
        if probabilities.shape[0] == 2:
            if bias:
                raise ConfigError("infer.class_bias is for tasks of 3 or more classes; a binary model's knob is "
                                  "infer.threshold")
            labels = (probabilities[1] > self.threshold).to(torch.uint8)
        elif bias:
            if len(bias) != probabilities.shape[0]:
                raise ConfigError(f"infer.class_bias has {len(bias)} entries for {probabilities.shape[0]} classes")
            shift = torch.tensor(bias, dtype=probabilities.dtype, device=probabilities.device).view(-1, 1, 1)
            labels = (probabilities.clamp_min(1e-12).log() + shift).argmax(0).to(torch.uint8)
        else:
            labels = probabilities.argmax(0).to(torch.uint8)
        if not self.settings.postprocess:
            return labels
        cleaned = postprocess_labels(labels.cpu().numpy(), self.settings.postprocess, self.num_classes,
                                     self.settings.min_size)
        return torch.from_numpy(cleaned).to(labels.device)

    def predict(self, image: np.ndarray, uncertainty: bool = False, roi: np.ndarray | str | None = None) -> Prediction:
        """Segment one uint8 image (H, W, C) with C = the model's input channels; `uncertainty` adds
        the entropy (and, with several views, mutual-information) maps. `roi`: a bool mask (H, W), or
        'auto' for the image's field of view (infer/roi.py); outside it everything is background. A
        model trained with ROI masks predicting without one says once that its output there is arbitrary."""
        if image.ndim == 2:
            image = image[..., None]
        if image.shape[2] != self.in_channels:
            raise ValueError(f"image has {image.shape[2]} channels, the model expects {self.in_channels}")
        maps = self._views(image, with_entropy=uncertainty)
        prediction = Prediction(self.labels_from(maps.probabilities).numpy(), maps.probabilities.numpy(), image,
                                maps if uncertainty else None)
        mask = self.region_of_interest(image, roi)
        return prediction.restrict_to(mask) if mask is not None else prediction

    def region_of_interest(self, image: np.ndarray, roi: np.ndarray | str | None) -> np.ndarray | None:
        """The ROI to restrict a prediction to: given, derived ('auto'), or None (and the warning)."""
        if isinstance(roi, str):
            if roi != "auto":
                raise ConfigError(f"roi must be a mask or 'auto', not {roi!r}")
            from .roi import field_of_view
            return field_of_view(image)
        if roi is None:
            if self.trained_with_roi and not self._roi_warned:
                self._roi_warned = True
                log.warning("this model was trained inside region-of-interest masks: outside them its output is "
                            "arbitrary; give the ROI (predict --roi DIR) or derive it (--roi auto)")
            return None
        if roi.shape != image.shape[:2]:
            raise ValueError(f"ROI of {roi.shape[1]}x{roi.shape[0]} for an image of {image.shape[1]}x{image.shape[0]}")
        return roi.astype(bool)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _restored(maps: UncertaintyMaps, plan) -> UncertaintyMaps:
    """The maps on the CPU, at the input's own size when it was letterboxed or stretched."""
    def back(values: torch.Tensor | None, planes: bool) -> torch.Tensor | None:
        if values is None:
            return None
        values = values.cpu() if planes else values.cpu()[None]
        values = restore(values, plan) if plan is not None else values
        return values if planes else values[0]
    return UncertaintyMaps(back(maps.probabilities, True), back(maps.entropy, False),
                           back(maps.mutual_information, False), maps.views)
