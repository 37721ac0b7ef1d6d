"""Input normalisation: part of what a trained model is, so it travels in the checkpoint."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Normalization:
    """Per-channel mean and std on the 0..1 scale; stored in checkpoints so predictions match training."""
    mean: tuple[float, ...]
    std: tuple[float, ...]

    def apply(self, image: np.ndarray) -> torch.Tensor:
        """uint8 (H, W, C) -> normalised float32 tensor (C, H, W)."""
        tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255.0)
        mean = torch.tensor(self.mean).view(-1, 1, 1)
        std = torch.tensor(self.std).view(-1, 1, 1)
        return tensor.sub_(mean).div_(std)

    def to_dict(self) -> dict:
        return {"mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, values: dict) -> Normalization:
        return cls(tuple(values["mean"]), tuple(values["std"]))

    @classmethod
    def imagenet(cls, channels: int) -> Normalization:
        """The statistics ImageNet-pretrained torchvision encoders expect (grey images: their mean)."""
        return cls.pretrained((0.485, 0.456, 0.406), (0.229, 0.224, 0.225), channels)

    @classmethod
    def pretrained(cls, mean: tuple[float, ...], std: tuple[float, ...], channels: int) -> Normalization:
        """An RGB-pretrained encoder's statistics for `channels` inputs (grey or multi-band: their mean)."""
        mean, std = tuple(float(m) for m in mean), tuple(float(s) for s in std)
        if channels == len(mean):
            return cls(mean, std)
        return cls((sum(mean) / len(mean),) * channels, (sum(std) / len(std),) * channels)
