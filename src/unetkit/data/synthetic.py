"""A generated, seeded demo dataset: thin curvy structures on a textured background.

It looks like a toy DRIVE (vessel-like curves, a circular field of view) so the demo and the tests
exercise the same code paths as real data without downloading anything.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from PIL import Image


def _smooth_noise(rng: np.random.Generator, size: int, scale: int) -> np.ndarray:
    """Low-frequency texture in [0, 1]: coarse random grid upsampled bicubically."""
    coarse = rng.random((size // scale + 2, size // scale + 2)).astype(np.float32)
    return cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def _curve_points(rng: np.random.Generator, size: int) -> np.ndarray:
    """A random smooth open curve across the image, as integer (N, 2) points."""
    start = rng.uniform(0.2 * size, 0.8 * size, 2)
    angle = rng.uniform(0, 2 * np.pi)
    steps = int(size * rng.uniform(0.6, 1.2) / 2)
    turn = 0.0
    points = [start]
    for _ in range(steps):
        turn = 0.9 * turn + rng.normal(0, 0.03)
        angle += turn
        points.append(points[-1] + 2.0 * np.array([np.cos(angle), np.sin(angle)]))
    return np.round(np.array(points)).astype(np.int32)


def make_synthetic_sample(seed: int, size: int = 192) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One sample: RGB image uint8 (H, W, 3), binary mask uint8 {0, 255} (H, W), FOV mask {0, 255}."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((size, size), np.uint8)
    for _ in range(rng.integers(6, 11)):
        thickness = int(rng.integers(1, 4))
        cv2.polylines(mask, [_curve_points(rng, size)], False, 255, thickness, lineType=cv2.LINE_8)
    background = 0.45 + 0.3 * _smooth_noise(rng, size, 24) + 0.12 * _smooth_noise(rng, size, 4)
    contrast = 0.2 + 0.1 * _smooth_noise(rng, size, 32)
    intensity = background - contrast * (mask > 0)
    intensity = cv2.GaussianBlur(intensity.astype(np.float32), (3, 3), 0.6)
    intensity += rng.normal(0, 0.035, intensity.shape).astype(np.float32)
    tint = np.array([1.0, 0.65, 0.35], np.float32) * rng.uniform(0.9, 1.1, 3).astype(np.float32)
    image = np.clip(intensity[..., None] * tint * 255, 0, 255).astype(np.uint8)
    fov = np.zeros((size, size), np.uint8)
    cv2.circle(fov, (size // 2, size // 2), int(size * 0.47), 255, -1)
    image[fov == 0] = 0
    return image, mask, fov


def write_synthetic_dataset(root: Path, counts: dict[str, int], size: int, seed: int = 0) -> None:
    """Write the folder layout (split/images, masks, roi) with `counts` images per split."""
    for split_index, (split, count) in enumerate(counts.items()):
        for folder in ("images", "masks", "roi"):
            (root / split / folder).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            image, mask, fov = make_synthetic_sample(seed * 100_003 + split_index * 10_007 + i, size)
            name = f"{split}_{i:03d}.png"
            Image.fromarray(image).save(root / split / "images" / name)
            Image.fromarray(mask).save(root / split / "masks" / name)
            Image.fromarray(fov).save(root / split / "roi" / name)


def ensure_synthetic_dataset(root: Path, train: int, val: int, size: int) -> Path:
    """Generate the synthetic dataset (`train` training images, `val` validation and as many test
    images, `size` px) under `root` unless the same one is already there."""
    spec = {"train": train, "val": val, "test": val, "size": size, "version": 1}
    marker = root / "synthetic.json"
    if marker.is_file() and json.loads(marker.read_text()) == spec:
        return root
    write_synthetic_dataset(root, {"train": train, "val": val, "test": val}, size)
    marker.write_text(json.dumps(spec))
    return root
