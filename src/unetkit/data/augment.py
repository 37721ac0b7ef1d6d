"""Joint augmentation of image, label and weight planes with albumentations.

Geometric transforms move image and label together (labels with nearest-neighbour interpolation);
photometric ones touch only the image. Each call is seeded so results do not depend on worker count.
"""
from __future__ import annotations

import albumentations as A
import cv2
import numpy as np

from ..config import AugmentConfig
from ..labels import IGNORE_INDEX


class GridElastic(A.DualTransform):
    """The U-Net paper's elastic deformation: random displacements on a coarse grid (3 x 3 in the paper,
    Gaussian with a std of 10 px), interpolated bicubically to a per-pixel field and applied alike to
    image (bilinear), label and weight planes (nearest).

    Hand-written because albumentations' ElasticTransform smooths a per-pixel random field and its
    GridElasticDeform distorts mesh cells; neither is the paper's coarse-grid bicubic formulation.
    """

    def __init__(self, grid_points: int = 3, std: float = 10.0, p: float = 0.5):
        super().__init__(p=p)
        self.grid_points = grid_points
        self.std = std

    def get_params_dependent_on_data(self, params, data):
        height, width = params["shape"][:2]
        coarse = self.random_generator.normal(0.0, self.std, (2, self.grid_points, self.grid_points))
        return {"maps": displacement_maps(coarse.astype(np.float32), height, width)}

    def apply(self, img, maps, **params):
        warped = cv2.remap(img, *maps, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        return warped.reshape(img.shape)  # cv2 drops a single channel axis

    def apply_to_mask(self, mask, maps, **params):
        return cv2.remap(mask, *maps, interpolation=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT_101)

    def get_transform_init_args_names(self):
        return ("grid_points", "std")


def displacement_maps(coarse: np.ndarray, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(2, g, g) coarse (dy, dx) displacements -> cv2.remap sampling maps (map_x, map_y), (H, W) each."""
    dy = cv2.resize(coarse[0], (width, height), interpolation=cv2.INTER_CUBIC)
    dx = cv2.resize(coarse[1], (width, height), interpolation=cv2.INTER_CUBIC)
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    return (cols + dx).astype(np.float32), (rows + dy).astype(np.float32)


def build_augmentation(config: AugmentConfig, patch_size: int = 256, channels: int = 3,
                       ignore_index: int = IGNORE_INDEX) -> A.Compose | None:
    """The training-time pipeline for `config`, or None when there is nothing to do. With
    config.letterbox it starts from the whole image and ends at patch_size x patch_size."""
    transforms: list[A.BasicTransform] = []
    # letterbox: the whole image scaled to fit the patch and padded grey (labels: ignored), then the
    # geometric transforms fill with the same grey; otherwise they mirror the patch's own pixels
    border = ({"border_mode": cv2.BORDER_CONSTANT, "fill": config.pad_value, "fill_mask": ignore_index}
              if config.letterbox else {"border_mode": cv2.BORDER_REFLECT_101})
    if config.letterbox:
        transforms += [A.LongestMaxSize(max_size=patch_size),
                       A.PadIfNeeded(patch_size, patch_size, position="center", **border)]
    if not config.enabled:
        return A.Compose(transforms, seed=0, additional_targets={"weights": "mask"}) if transforms else None
    if config.flips:
        transforms += [A.HorizontalFlip(p=0.5)] + ([A.VerticalFlip(p=0.5)] if config.vertical_flips else [])
    if config.rotate90:
        transforms.append(A.RandomRotate90(p=0.5))
    scale = tuple(config.scale_range) if config.scale_range else (1 - config.scale, 1 + config.scale)
    if config.rotate_degrees > 0 or scale != (1.0, 1.0):
        transforms.append(A.Affine(rotate=(-config.rotate_degrees, config.rotate_degrees), scale=scale,
                                   p=0.7, **border))
    if (config.hue or config.saturation or config.value) and channels == 3:
        transforms.append(A.HueSaturationValue(hue_shift_limit=config.hue * 180, sat_shift_limit=config.saturation * 255,
                                               val_shift_limit=config.value * 255, p=0.8))
    if config.elastic == "grid":
        transforms.append(GridElastic(config.elastic_grid_points, config.elastic_std, p=config.elastic_probability))
    elif config.elastic == "smooth":
        transforms.append(A.ElasticTransform(alpha=config.elastic_alpha, sigma=config.elastic_sigma,
                                             border_mode=cv2.BORDER_REFLECT_101, p=config.elastic_probability))
    if config.brightness > 0 or config.contrast > 0:
        transforms.append(A.RandomBrightnessContrast(brightness_limit=config.brightness,
                                                     contrast_limit=config.contrast, p=0.5))
    if config.gamma > 0:
        transforms.append(A.RandomGamma(gamma_limit=(100 * (1 - config.gamma), 100 * (1 + config.gamma)), p=0.5))
    return A.Compose(transforms, seed=0, additional_targets={"weights": "mask"})


def augment(pipeline: A.Compose | None, image: np.ndarray, label: np.ndarray, seed: int,
            weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Apply `pipeline` with a fixed seed to image (H, W, C) uint8, label (H, W) uint8 (255 = ignore)
    and optionally a float32 weight map (H, W), moved exactly like the label."""
    if pipeline is None:
        return image, label, weights
    pipeline.set_random_seed(seed)
    if weights is None:
        out = pipeline(image=image, mask=label)
        return out["image"], out["mask"], None
    out = pipeline(image=image, mask=label, weights=weights)
    return out["image"], out["mask"], out["weights"]
