"""Generated, seeded demo data in the folder layout, written to data.root on first use."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...config import DataConfig, between, option, options_of
from ..synthetic import ensure_synthetic_dataset
from .base import register_format
from .folder import FolderFormat


@dataclass
class SyntheticOptions:
    """data.synthetic.*: how much demo data is generated."""
    LEGACY_KEYS = {"data.synthetic_train": "train", "data.synthetic_val": "val", "data.synthetic_size": "size"}
    train: int = option(12, "training images", between(1, 10_000))
    val: int = option(4, "validation images (and as many test images)", between(0, 10_000))
    size: int = option(192, "side of each image in pixels", between(8, 4096))


@register_format
class SyntheticFormat(FolderFormat):
    name = "synthetic"
    options = SyntheticOptions
    needs_root = False  # defaults to runs/synthetic-data
    layout = ""         # generated, never detected (a written copy reads as the folder format)

    def recognises(self, root: Path) -> bool:
        return False

    def prepare_root(self, data: DataConfig) -> Path:
        wanted = options_of(data, self.name)
        return ensure_synthetic_dataset(Path(data.root or "runs/synthetic-data"), wanted.train, wanted.val, wanted.size)
