"""Run a trained model on images of any size: normalise, mirror-pad, forward, crop back, post-process."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from ..config import Config
from ..data.dataset import Normalization
from ..losses import class_probabilities
from ..runtime import autocast, memory_format, resolve_device, resolve_precision
from .padding import crop_output, pad_for_model


@dataclass
class Prediction:
    """labels uint8 (H, W) class ids; probabilities float32 (K, H, W), one plane per class."""
    labels: np.ndarray
    probabilities: np.ndarray
    image: np.ndarray | None = None

    def restrict_to(self, roi: np.ndarray) -> "Prediction":
        """Outside the region of interest (bool (H, W)) everything is background, with certainty."""
        labels = np.where(roi, self.labels, 0).astype(np.uint8)
        probabilities = self.probabilities * roi
        probabilities[0] += ~roi
        return Prediction(labels, probabilities, self.image)

    def overlay(self, alpha: float = 0.7, palette: np.ndarray | None = None) -> np.ndarray:
        """The input blended with the class colours where a class other than background is predicted."""
        from ..viz.overlay import blend_overlay
        if self.image is None:
            raise ValueError("this prediction holds no input image to draw on")
        return blend_overlay(self.image, self.labels, alpha=alpha, palette=palette)


def predict_probabilities(model: nn.Module, images: torch.Tensor, precision: str = "fp32") -> torch.Tensor:
    """Class probabilities (N, K, H, W) for normalised images (N, C, H, W) of any size."""
    padded, plan = pad_for_model(model, images)
    with torch.no_grad(), autocast(images.device, precision):
        logits = model(padded.contiguous(memory_format=memory_format(precision, images.device)))
    return class_probabilities(crop_output(logits, plan))


class Predictor:
    """A model with everything needed to turn images into predictions (usable without the CLI)."""

    def __init__(self, model: nn.Module, normalization: Normalization, config: Config,
                 device: str | torch.device = "auto", precision: str = "auto"):
        self.device = resolve_device(str(device))
        self.precision = resolve_precision(precision, self.device)
        self.model = model.to(self.device, memory_format=memory_format(self.precision, self.device)).eval()
        self.normalization = normalization
        self.config = config
        self.class_names = list(config.data.class_names)
        self.threshold = config.infer.threshold

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "auto", precision: str = "auto") -> "Predictor":
        from ..train.checkpoint import load_checkpoint, model_from_checkpoint
        model, config, normalization = model_from_checkpoint(load_checkpoint(path), path)
        return cls(model, normalization, config, device=device, precision=precision)

    def probabilities(self, image: np.ndarray) -> torch.Tensor:
        """uint8 image (H, W, C) -> probabilities (K, H, W) on the CPU."""
        tensor = self.normalization.apply(image).unsqueeze(0).to(self.device)
        return predict_probabilities(self.model, tensor, self.precision)[0].float().cpu()

    def labels_from(self, probabilities: torch.Tensor) -> torch.Tensor:
        """Class ids (H, W): the threshold on the foreground for binary tasks, argmax otherwise."""
        if probabilities.shape[0] == 2:
            return (probabilities[1] > self.threshold).to(torch.uint8)
        return probabilities.argmax(0).to(torch.uint8)

    def predict(self, image: np.ndarray) -> Prediction:
        """Segment one uint8 image (H, W, C) with C = the model's input channels."""
        if image.ndim == 2:
            image = image[..., None]
        if image.shape[2] != self.config.data.channels:
            raise ValueError(f"image has {image.shape[2]} channels, the model expects {self.config.data.channels}")
        probabilities = self.probabilities(image)
        return Prediction(self.labels_from(probabilities).numpy(), probabilities.numpy(), image)
