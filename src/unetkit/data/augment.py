"""Joint augmentation of image, label and weight planes with albumentations.

Geometric transforms move image and label together (labels with nearest-neighbour interpolation);
photometric ones touch only the image. Each call is seeded so results do not depend on worker count.
"""
from __future__ import annotations

import albumentations as A
import cv2
import numpy as np

from ..config import AugmentConfig


def build_augmentation(config: AugmentConfig) -> A.Compose | None:
    """The training-time pipeline for `config`, or None when augmentation is off."""
    if not config.enabled:
        return None
    transforms: list[A.BasicTransform] = []
    if config.flips:
        transforms += [A.HorizontalFlip(p=0.5), A.VerticalFlip(p=0.5)]
    if config.rotate90:
        transforms.append(A.RandomRotate90(p=0.5))
    if config.rotate_degrees > 0 or config.scale > 0:
        transforms.append(A.Affine(rotate=(-config.rotate_degrees, config.rotate_degrees),
                                   scale=(1 - config.scale, 1 + config.scale),
                                   border_mode=cv2.BORDER_REFLECT_101, p=0.7))
    if config.elastic_probability > 0:
        transforms.append(A.ElasticTransform(alpha=config.elastic_alpha, sigma=config.elastic_sigma,
                                             border_mode=cv2.BORDER_REFLECT_101, p=config.elastic_probability))
    if config.brightness > 0 or config.contrast > 0:
        transforms.append(A.RandomBrightnessContrast(brightness_limit=config.brightness,
                                                     contrast_limit=config.contrast, p=0.5))
    if config.gamma > 0:
        transforms.append(A.RandomGamma(gamma_limit=(100 * (1 - config.gamma), 100 * (1 + config.gamma)), p=0.5))
    return A.Compose(transforms, seed=0)


def augment(pipeline: A.Compose | None, image: np.ndarray, label: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Apply `pipeline` to image (H, W, C) uint8 and label (H, W) uint8 (255 = ignore) with a fixed seed."""
    if pipeline is None:
        return image, label
    pipeline.set_random_seed(seed)
    out = pipeline(image=image, mask=label)
    return out["image"], out["mask"]
