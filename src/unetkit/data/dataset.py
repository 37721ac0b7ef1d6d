"""Decoded samples in memory, random training patches, and input normalisation.

Images are decoded and validated once (before training starts); every epoch then samples patches
from memory. The ROI is folded into the label as the ignore index, so losses and metrics need only
one mechanism to leave pixels out.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from ..config import DataConfig
from ..errors import DataError
from ..labels import IGNORE_INDEX
from ..models.normalization import Normalization
from .augment import augment
from .border_weights import border_weight_map
from .formats import SampleFiles
from .io import MaskReading, read_image, read_roi


@dataclass
class Sample:
    """One decoded sample: image uint8 (H, W, C); label uint8 (H, W) with the ignore label (255) on
    ignored pixels and outside the ROI;
    weights float32 (H, W), the per-pixel loss weights when the loss uses them."""
    name: str
    image: np.ndarray
    label: np.ndarray | None
    roi: np.ndarray | None
    files: SampleFiles
    weights: np.ndarray | None = None


def attach_weight_maps(samples: list[Sample], num_classes: int, w0: float, sigma: float,
                       ignore_index: int = IGNORE_INDEX) -> None:
    """Compute the paper's border weight map once per training sample (cached on the sample)."""
    for sample in samples:
        sample.weights = border_weight_map(sample.label, num_classes, w0=w0, sigma=sigma, ignore_index=ignore_index)


def class_pixel_counts(samples: list[Sample], num_classes: int) -> np.ndarray:
    """Pixels of each class (num_classes,) over the samples' labels (ignored pixels carry a value
    >= num_classes and are left out)."""
    counts = np.zeros(num_classes, dtype=np.int64)
    for sample in samples:
        values = np.bincount(sample.label.reshape(-1), minlength=256)
        counts += values[:num_classes]
    return counts


def _check_size(files: SampleFiles, what: str, path, shape, image_shape) -> None:
    if shape != image_shape:
        raise DataError(f"{path}: {what} is {shape[1]}x{shape[0]} but image {files.image.name} is "
                        f"{image_shape[1]}x{image_shape[0]}")


def load_sample(files: SampleFiles, data: DataConfig, ignore_index: int = IGNORE_INDEX) -> Sample:
    """Read and cross-check the files of one sample; the mask's void value (data.ignore_index) and
    everything outside its ROI become the label `ignore_index`."""
    image = read_image(files.image, data.channels, files.page)
    label = roi = None
    if files.mask is not None:
        label = MaskReading.from_data(data).read(files.mask, files.page)
        _check_size(files, "mask", files.mask, label.shape, image.shape[:2])
    if files.roi is not None:
        roi = read_roi(files.roi, files.page)
        _check_size(files, "roi mask", files.roi, roi.shape, image.shape[:2])
        if label is not None:
            label = label.copy()
            label[~roi] = ignore_index
    return Sample(files.name, image, label, roi, files)


def load_samples(files: list[SampleFiles], data: DataConfig, ignore_index: int = IGNORE_INDEX) -> list[Sample]:
    return [load_sample(f, data, ignore_index) for f in files]


def compute_normalization(samples: list[Sample]) -> Normalization:
    """Channel mean/std over the training images (inside their ROI where one is given)."""
    sums = counts = squares = 0.0
    for sample in samples:
        pixels = sample.image.reshape(-1, sample.image.shape[2]).astype(np.float64) / 255.0
        if sample.roi is not None:
            pixels = pixels[sample.roi.reshape(-1)]
        sums = sums + pixels.sum(0)
        squares = squares + (pixels ** 2).sum(0)
        counts += pixels.shape[0]
    mean = sums / max(counts, 1)
    std = np.sqrt(np.maximum(squares / max(counts, 1) - mean ** 2, 1e-12))
    return Normalization(tuple(float(v) for v in mean), tuple(float(max(v, 1e-3)) for v in std))


def _crop_with_reflect(planes: list[np.ndarray], top: int, left: int, size: int) -> list[np.ndarray]:
    """Crop size x size at (top, left) from each plane (H, W[, C]); planes smaller than the patch are
    mirror-padded first."""
    height, width = planes[0].shape[:2]
    pad_y, pad_x = max(0, size - height), max(0, size - width)
    if pad_y or pad_x:
        planes = [np.pad(p, ((0, pad_y), (0, pad_x)) + ((0, 0),) * (p.ndim - 2), mode="reflect") for p in planes]
    return [p[top:top + size, left:left + size] for p in planes]


def _shrink(planes: list[np.ndarray], size: int) -> list[np.ndarray]:
    """Image (area-averaged), label and weights (nearest: no invented classes) resized to size x size."""
    import cv2  # albumentations' own dependency; imported here, where it is needed
    image, *rest = planes
    shrunk = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    if image.ndim == 3 and shrunk.ndim == 2:   # cv2 drops a single channel axis
        shrunk = shrunk[..., None]
    # NEAREST_EXACT samples each output pixel's centre, as INTER_AREA averages around it (plain NEAREST
    # takes a block's top-left pixel: labels a quarter pixel off the image at 2x)
    return [shrunk, *(cv2.resize(p, (size, size), interpolation=cv2.INTER_NEAREST_EXACT) for p in rest)]


def _class_pixels(samples: list[Sample]) -> np.ndarray:
    """(images, 256) int: how many pixels of each label value each sample's mask holds."""
    return np.stack([np.bincount(s.label.reshape(-1), minlength=256) for s in samples])


def _draw_weights(pixels: np.ndarray, classes: list[int], draw: str) -> np.ndarray | None:
    """The probability of drawing each foreground class for a centred patch (data.foreground_draw);
    None for the uniform draw (rng.integers: the draws of runs from before the option stay the same)."""
    if draw == "uniform":
        return None
    if draw != "inverse_sqrt":
        raise ValueError(f"data.foreground_draw must be uniform or inverse_sqrt, not '{draw}'")
    weights = 1.0 / np.sqrt(pixels[:, classes].sum(0))   # the rare classes more often, as class weights do
    return weights / weights.sum()


class PatchDataset(Dataset):
    """Random training patches from decoded samples, augmented jointly.

    Item i of epoch e is a pure function of (seed, e, i): resumed runs and any number of worker
    processes see exactly the same patches.
    Returns image float32 (C, P, P) and label int64 (P, P), plus weights float32 (P, P) when the
    samples carry weight maps.
    """

    def __init__(self, samples: list[Sample], patch_size: int, patches_per_epoch: int,
                 normalization: Normalization, pipeline=None, seed: int = 0, whole_images: bool = False,
                 foreground_fraction: float = 0.0, zoom_out: float = 1.0, foreground_draw: str = "uniform"):
        if not samples:
            raise DataError("no training samples found")
        missing = [s.files.image for s in samples if s.label is None]
        if missing:
            raise DataError(f"{missing[0]}: training image has no label mask")
        self.samples = samples
        self.patch_size = patch_size
        self.patches_per_epoch = patches_per_epoch
        self.normalization = normalization
        self.pipeline = pipeline
        self.seed = seed
        self.whole_images = whole_images  # the pipeline brings whole images to the patch size (letterbox)
        self.foreground_fraction = foreground_fraction
        self.zoom_out = zoom_out   # crops of patch x [1, zoom_out] per side, shrunk to the patch (augment.zoom_out)
        # which images hold which class (classes 1..254: 0 is the background, 255 the ignore label)
        self._holding: dict[int, np.ndarray] = {}
        self._draw = None   # uniform
        if foreground_fraction:
            pixels = _class_pixels(samples)
            self._holding = {value: np.flatnonzero(column) for value, column in enumerate(pixels.T)
                             if 0 < value < IGNORE_INDEX and column.any()}
            self._draw = _draw_weights(pixels, list(self._holding), foreground_draw) if self._holding else None
        self.epoch = 0

    def _foreground_patch(self, rng: np.random.Generator, side: int) -> tuple[Sample, int, int]:
        """nnU-Net's / MONAI's foreground oversampling: a class among the foreground classes of the
        training masks (uniformly, so a rare class is drawn as often as a common one, or weighted towards
        the rarest: data.foreground_draw), an image holding it, one of its pixels; the patch is centred
        there (shifted inside the image at its borders)."""
        classes = list(self._holding)
        value = classes[rng.integers(len(classes)) if self._draw is None else rng.choice(len(classes), p=self._draw)]
        holders = self._holding[value]
        sample = self.samples[holders[rng.integers(len(holders))]]
        pixels = np.flatnonzero(sample.label == value)
        y, x = divmod(int(pixels[rng.integers(len(pixels))]), sample.label.shape[1])
        height, width = sample.label.shape
        half = side // 2
        top = min(max(0, y - half), max(0, height - side))
        left = min(max(0, x - half), max(0, width - side))
        return sample, top, left

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.patches_per_epoch

    def __getitem__(self, index: int):
        rng = np.random.default_rng([self.seed, self.epoch, index])
        sample = self.samples[rng.integers(len(self.samples))]
        height, width = sample.label.shape
        side = self.patch_size
        if self.zoom_out > 1 and not self.whole_images:   # mixed resolution: more context, fewer pixels of it
            side = min(round(side * rng.uniform(1.0, self.zoom_out)), max(side, min(height, width)))
        top = int(rng.integers(max(1, height - side + 1)))
        left = int(rng.integers(max(1, width - side + 1)))
        if self._holding and rng.random() < self.foreground_fraction:
            sample, top, left = self._foreground_patch(rng, side)
        planes = [sample.image, sample.label] + ([sample.weights] if sample.weights is not None else [])
        if not self.whole_images:
            planes = _crop_with_reflect(planes, top, left, side)
            if side != self.patch_size:
                planes = _shrink(planes, self.patch_size)
        image, label, *weights = planes
        image, label, weights = augment(self.pipeline, image, label, int(rng.integers(2**31)),
                                        weights[0] if weights else None)
        tensors = (self.normalization.apply(image), torch.from_numpy(label.astype(np.int64)))
        return tensors if weights is None else (*tensors, torch.from_numpy(np.ascontiguousarray(weights)))
