"""Generated, seeded demo data in the folder layout, written to data.root on first use."""
from __future__ import annotations

from pathlib import Path

from ...config import DataConfig
from ..synthetic import ensure_synthetic_dataset
from .base import register_format
from .folder import FolderFormat


@register_format
class SyntheticFormat(FolderFormat):
    name = "synthetic"
    needs_root = False  # defaults to runs/synthetic-data
    layout = ""         # generated, never detected (a written copy reads as the folder format)

    def recognises(self, root: Path) -> bool:
        return False

    def prepare_root(self, data: DataConfig) -> Path:
        return ensure_synthetic_dataset(data)
