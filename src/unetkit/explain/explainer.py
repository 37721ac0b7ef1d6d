"""Grad-CAM for segmentation: per class, per layer, for images of any size.

One forward pass records every chosen layer's output; one backward pass per class gives the
gradients of the class-masked target (explain/targets.py) with respect to all of them at once; the
chosen method (explain/methods.py) turns activations and gradients into a map per layer. Each map is
laid onto the network input's grid by the layer's stride (centred, which is where the valid-padding
U-Net's shrunken feature maps sit), cropped to the image as prediction crops its output, and
scaled back to the image's size.

Image sizes: the image is mirror-padded to a size the network takes, as in prediction. A model
trained at a fixed size (infer.resize letterbox / stretch) sees the image resized as in prediction.
An image whose network input would exceed `max_side` (default: infer.tile) is scaled down to fit,
aspect kept, explained whole, and the maps scaled back up: one map per image, never per tile, so the
maps' scale is the same over the whole image.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ConfigError
from ..infer import Predictor
from ..infer.padding import PadPlan, crop_output, pad_for_model
from ..infer.resize import (
    ResizePlan,
    letterbox,
    mask_onto_canvas,
    restore,
    shrink_to_fit,
    stretch,
)
from ..losses import class_probabilities
from ..models import Normalization, SegmentationModel
from .faithfulness import blurred, faithfulness, random_deletion_score
from .layers import Layer, LayerTable, activations_not_in_place, outputs_recorded
from .methods import CAM_METHODS, layer_map
from .targets import REGIONS, SCORES, ClassRegionTarget

log = logging.getLogger(__name__)


@dataclass
class Explanation:
    """Maps of one class on one image: layer name -> float32 (H, W) in [0, 1] (1 = the most
    attributed pixel; all zero when the region is empty), with what they were computed from."""
    class_index: int
    class_name: str
    maps: dict[str, np.ndarray]
    labels: np.ndarray                  # the prediction (H, W), class ids
    region_pixels: int                  # pixels in the target region (at the explained size)
    method: str
    faithfulness: dict[str, float | None] = field(default_factory=dict)
    random_baseline: float | None = None

    @property
    def absent(self) -> bool:
        return self.region_pixels == 0


@dataclass
class _Prepared:
    """An image on its way through the network: normalised, padded, and how to undo both."""
    image: torch.Tensor            # (1, C, h, w) normalised, at the explained size
    padded: torch.Tensor           # (1, C, H', W') the network input
    pad_plan: PadPlan
    resize_plan: ResizePlan | None


class Explainer:
    """Explains a Predictor's model (its normalisation, inference settings and class names).

    method: a CAM_METHODS name. score: 'logodds' or 'logit' per pixel (explain/targets.py).
    max_side: images whose network input would be larger are scaled down to fit (default: the
    predictor's infer.tile; 0 = never). score_faithfulness: give every map its deletion score.
    """

    def __init__(self, predictor: Predictor, method: str = "gradcam", max_side: int | None = None,
                 score_faithfulness: bool = True, score: str = "logodds"):
        if score not in SCORES:
            raise ConfigError(f"unknown score '{score}' ({', '.join(SCORES)})")
        self.score = score
        self.predictor = predictor
        self.model: SegmentationModel = predictor.model.float().eval()
        self.method_spec = CAM_METHODS[method]
        self._method = None
        self.max_side = predictor.settings.tile if max_side is None else max_side
        self.score_faithfulness = score_faithfulness
        self.layers = LayerTable(self.model)

    @property
    def method(self):
        """The grad-cam object (built on first use: importing grad-cam takes seconds)."""
        if self._method is None:
            self._method = self.method_spec.build(self.model)
        return self._method

    @property
    def device(self) -> torch.device:
        return self.predictor.device

    def class_index(self, name_or_index: str | int) -> int:
        """A class by name (as stored in the checkpoint) or index; a one-line error otherwise."""
        names = self.predictor.class_names
        if isinstance(name_or_index, int) or str(name_or_index).isdigit():
            index = int(name_or_index)
            if 0 <= index < len(names):
                return index
        elif name_or_index in names:
            return names.index(name_or_index)
        raise ConfigError(f"unknown class '{name_or_index}' (this model's classes: "
                          f"{', '.join(f'{i}={n}' for i, n in enumerate(names))})")

    def foreground_classes(self) -> list[int]:
        return list(range(1, len(self.predictor.class_names)))

    def explain(self, image: np.ndarray, classes: list[int] | None = None, layers: list[Layer] | None = None,
                region: str | np.ndarray = "pred", ground_truth: np.ndarray | None = None) -> list[Explanation]:
        """Maps of each class (default: every foreground class) at each layer (default: bottleneck and
        decoder stages) for one uint8 image (H, W, C).

        region: 'pred' (pixels predicted as the class), 'gt' (pixels of the class in `ground_truth`,
        (H, W) class ids), 'all' (the whole image, unmasked), or a bool/uint8 mask (H, W) (nonzero =
        inside) given for this image.
        """
        image = image[..., None] if image.ndim == 2 else image
        if image.shape[2] != self.model.in_channels:
            raise ConfigError(f"image has {image.shape[2]} channels, the model expects {self.model.in_channels}")
        layers = layers or self.layers.default()
        classes = classes if classes is not None else self.foreground_classes()
        prepared = self._prepare(image)
        with activations_not_in_place(self.model):
            recorded, logits = self._record(prepared.padded, layers)
            probabilities = class_probabilities(crop_output(logits.detach(), prepared.pad_plan))[0]
            labels = self.predictor.labels_from(probabilities.cpu())
            results = [self._explain_class(prepared, layers, recorded, logits, probabilities, labels, index,
                                           self._region(region, index, labels, ground_truth, prepared))
                       for index in classes]
        return results

    # -- steps -----------------------------------------------------------------------------------

    def _prepare(self, image: np.ndarray) -> _Prepared:
        settings = self.predictor.settings
        resize_plan = None
        if settings.resize == "letterbox":
            image, resize_plan = letterbox(image, settings.size, settings.pad_value)
        elif settings.resize == "stretch":
            image, resize_plan = stretch(image, settings.size)
        elif self.max_side and max(map(self.model.input_size_for, image.shape[:2])) > self.max_side:
            image, resize_plan = shrink_to_fit(image, self._largest_side_within(self.max_side))
            log.info("image scaled to %dx%d to fit max side %d for explaining", image.shape[1], image.shape[0],
                     self.max_side)
        normalization: Normalization = self.predictor.normalization
        tensor = normalization.apply(image)[None].to(self.device)
        padded, pad_plan = pad_for_model(self.model, tensor)
        return _Prepared(tensor, padded.contiguous(), pad_plan, resize_plan)

    def _largest_side_within(self, limit: int) -> int:
        side = limit
        while side > 1 and self.model.input_size_for(side) > limit:
            side -= 1
        return side

    def _record(self, padded: torch.Tensor, layers: list[Layer]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """One forward pass with the layers' outputs kept (hooks gone when it returns)."""
        inputs = padded.clone().requires_grad_(True)   # activations need a graph even with frozen weights
        with torch.enable_grad(), outputs_recorded({layer.name: layer.module for layer in layers},
                                                   keep=True) as recording:
            logits = self.model(inputs)
        silent = [name for name, outputs in recording.outputs.items() if not outputs]
        if silent:   # e.g. a Layer taken from another Explainer's copy of the model
            raise ConfigError(f"layer '{silent[0]}' did not run in this model's forward pass")
        return {name: outputs[0] for name, outputs in recording.outputs.items()}, logits

    def _region(self, region: str | np.ndarray, class_index: int, labels: torch.Tensor,
                ground_truth: np.ndarray | None, prepared: _Prepared) -> torch.Tensor:
        """The target region (h, w) bool at the explained size."""
        size = tuple(prepared.image.shape[-2:])
        if isinstance(region, str):
            if region not in REGIONS:
                raise ConfigError(f"unknown region '{region}' (pred, gt, all, or a mask file)")
            if region == "pred":
                return labels == class_index
            if region == "all":
                return torch.ones(size, dtype=torch.bool)
            if ground_truth is None:
                raise ConfigError("region 'gt' needs a ground-truth mask for the image (--masks DIR)")
            mask = (ground_truth == class_index).astype(np.uint8)
        else:
            mask = (np.asarray(region) > 0).astype(np.uint8)
        plan = prepared.resize_plan
        mask = mask_onto_canvas(mask, plan, size) if plan is not None else mask
        if mask.shape != size:
            raise ConfigError(f"region mask is {mask.shape[1]}x{mask.shape[0]}, the image {size[1]}x{size[0]}")
        return torch.from_numpy(mask > 0)

    def _explain_class(self, prepared: _Prepared, layers: list[Layer], recorded: dict[str, torch.Tensor],
                       logits: torch.Tensor, probabilities: torch.Tensor, labels: torch.Tensor, class_index: int,
                       region: torch.Tensor) -> Explanation:
        name = self.predictor.class_names[class_index]
        explanation = Explanation(class_index, name, {}, self._restore_labels(labels, prepared),
                                  int(region.sum()), self.method_spec.name)
        height, width = prepared.image.shape[-2:]
        if explanation.absent:
            log.warning("class '%s' is absent from the target region: its maps are all zero", name)
            zero = np.zeros((height, width), np.float32)
            explanation.maps = {layer.name: self._restore(zero, prepared) for layer in layers}
            return explanation
        plan = prepared.pad_plan
        output_region = torch.zeros(logits.shape[-2:], dtype=torch.bool)
        output_region[plan.out_top:plan.out_top + height, plan.out_left:plan.out_left + width] = region
        target = ClassRegionTarget(class_index, output_region, self.score)
        gradients = self._gradients(target(logits[0]), [recorded[layer.name] for layer in layers])
        maps = {}
        for layer, grads in zip(layers, gradients):
            cam = layer_map(self.method, prepared.padded, layer.module, [target], recorded[layer.name], grads)
            cam = on_input_grid(cam, layer.stride, prepared.padded.shape[-2:])
            cam = cam[plan.top:plan.top + height, plan.left:plan.left + width]
            maps[layer.name] = cam / cam.max() if cam.max() > 0 else cam
        if self.score_faithfulness:
            self._score(explanation, prepared, maps, probabilities, region)
        explanation.maps = {layer: self._restore(cam, prepared) for layer, cam in maps.items()}
        return explanation

    def _gradients(self, score: torch.Tensor, activations: list[torch.Tensor]) -> list[torch.Tensor | None]:
        if not self.method_spec.uses_gradients:
            return [None] * len(activations)
        grads = torch.autograd.grad(score, activations, retain_graph=True, allow_unused=True)
        return [g if g is not None else torch.zeros_like(a) for g, a in zip(grads, activations)]

    def _score(self, explanation: Explanation, prepared: _Prepared, maps: dict[str, np.ndarray],
               probabilities: torch.Tensor, region: torch.Tensor) -> None:
        class_index = explanation.class_index
        region_device = region.to(self.device)

        def scorer(images: torch.Tensor) -> torch.Tensor:
            padded, plan = pad_for_model(self.model, images)
            with torch.no_grad():
                probs = class_probabilities(crop_output(self.model(padded), plan))[:, class_index]
            return (probs * region_device).sum(dim=(1, 2)) / region_device.sum()

        base = float((probabilities[class_index] * region_device).sum() / region_device.sum())
        blur = blurred(prepared.image)
        explanation.random_baseline = random_deletion_score(scorer, prepared.image, blur, base)
        explanation.faithfulness = {layer: faithfulness(scorer, prepared.image, blur, cam, base)
                                    for layer, cam in maps.items()}

    def _restore(self, cam: np.ndarray, prepared: _Prepared) -> np.ndarray:
        if prepared.resize_plan is None:
            return np.ascontiguousarray(cam, dtype=np.float32)
        return restore(torch.from_numpy(np.ascontiguousarray(cam))[None], prepared.resize_plan)[0].numpy()

    def _restore_labels(self, labels: torch.Tensor, prepared: _Prepared) -> np.ndarray:
        plan = prepared.resize_plan
        if plan is None:
            return labels.numpy().astype(np.uint8)
        inner = labels[plan.top:plan.top + plan.inner_height, plan.left:plan.left + plan.inner_width]
        resized = F.interpolate(inner[None, None].float(), size=(plan.height, plan.width), mode="nearest")
        return resized[0, 0].numpy().astype(np.uint8)


def on_input_grid(cam: np.ndarray, stride: float, input_size: tuple[int, int]) -> np.ndarray:
    """A layer's map (h, w) on the network input's grid (H, W): upsampled by the layer's stride and
    centred (a valid-padding network's feature maps cover the input's centre); a layer of unknown
    stride is stretched over the whole input."""
    height, width = input_size
    tensor = torch.from_numpy(np.ascontiguousarray(cam))[None, None]
    if stride <= 0:
        return F.interpolate(tensor, size=(height, width), mode="bilinear", align_corners=False)[0, 0].numpy()
    size = (round(cam.shape[0] * stride), round(cam.shape[1] * stride))
    upsampled = F.interpolate(tensor, size=size, mode="bilinear", align_corners=False)[0, 0].numpy()
    canvas = np.zeros((height, width), np.float32)
    top, left = (height - size[0]) // 2, (width - size[1]) // 2
    source = upsampled[max(0, -top):, max(0, -left):]
    top, left = max(0, top), max(0, left)
    rows, cols = min(height - top, source.shape[0]), min(width - left, source.shape[1])
    canvas[top:top + rows, left:left + cols] = source[:rows, :cols]
    return canvas


def explain(model_or_predictor: SegmentationModel | Predictor, image: np.ndarray, class_index: int | str,
            layers: list[str] | None = None, method: str = "gradcam", region: str | np.ndarray = "pred",
            ground_truth: np.ndarray | None = None, score: str = "logodds") -> dict[str, np.ndarray]:
    """Grad-CAM maps of one class on one uint8 image (H, W, C): layer name -> float32 (H, W) in [0, 1].

    A bare model is explained on the image scaled to 0..1 (no normalisation) with classes named by
    their index; a Predictor (e.g. `Predictor.from_checkpoint(path)`) brings its normalisation.
    layers: stage or module names (default: bottleneck and decoder stages; see `list_layers`).
    """
    predictor = model_or_predictor
    if not isinstance(predictor, Predictor):
        channels = model_or_predictor.in_channels
        classes = [str(i) for i in range(max(2, model_or_predictor.out_channels))]
        predictor = Predictor(model_or_predictor, Normalization((0.0,) * channels, (1.0,) * channels), classes,
                              device=str(next(model_or_predictor.parameters()).device), precision="fp32")
    explainer = Explainer(predictor, method, score_faithfulness=False, score=score)
    chosen = explainer.layers.resolve(layers) if layers else None
    [result] = explainer.explain(image, [explainer.class_index(class_index)], chosen, region, ground_truth)
    return result.maps


def list_layers(model: SegmentationModel) -> list[Layer]:
    """The stages and convs of `model` one can explain, in forward order."""
    return LayerTable(model).listed()
