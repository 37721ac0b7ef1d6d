"""What a data format is: an object that names the files of each split, plus the rules that come with it.

A format only names files; reading and validating their contents is io.py's job. Formats register
themselves in FORMATS (`@register_format`), which also supplies the choices of `data.format`; the
trainer, the evaluator and k-fold training ask the chosen object, never compare its name.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...config import BASE_METRICS, Config, DataConfig
from ...errors import ConfigError, DataError
from ...registry import Registry
from ..io import is_image_file

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class SampleFiles:
    """The files of one sample. `page` selects a slice of a multi-page TIFF stack."""
    name: str
    image: Path
    mask: Path | None = None
    roi: Path | None = None
    page: int | None = None


@dataclass(frozen=True)
class Fold:
    """One fold of k-fold training: what it holds out (under `key` in folds.json) and its data settings."""
    key: str
    held_out: list
    data: DataConfig


class DataFormat:
    """Base class: a folder layout under data.root. Subclasses implement `find`."""
    name = ""
    needs_root = True                      # data.root must be given
    extra_metrics: tuple[str, ...] = ()    # scored besides BASE_METRICS (names in metrics.EXTRA_METRICS)

    def find(self, root: Path, split: str, data: DataConfig, need_masks: bool) -> list[SampleFiles]:
        raise NotImplementedError

    def prepare_root(self, data: DataConfig) -> Path:
        """The dataset folder (a generated format writes it here first)."""
        return Path(data.root)

    def has_validation(self, data: DataConfig) -> bool:
        """Whether training validates on a 'val' split with these settings."""
        return True

    def folds(self, data: DataConfig, count: int) -> list[Fold]:
        """The data settings of each of `count` folds; formats without a natural split refuse."""
        offered = [name for name, fmt in FORMATS.items() if type(fmt).folds is not DataFormat.folds]
        raise ConfigError(f"--folds: data.format={self.name} has no k-fold split "
                          f"(formats with one: {', '.join(offered) or 'none'})")

    def check_config(self, config: Config) -> None:
        """Keys that depend on the format: data.root, and the metric train.monitor watches."""
        if self.needs_root and not config.data.root:
            raise ConfigError(f"data.format={self.name} needs data.root (the dataset folder)")
        monitor = config.train.monitor
        if monitor in BASE_METRICS or monitor in self.extra_metrics:
            return
        offered = [name for name, fmt in FORMATS.items() if monitor in fmt.extra_metrics]
        if offered:
            raise ConfigError(f"train.monitor={monitor} is scored on data.format={'/'.join(offered)} only")
        raise ConfigError(f"config key 'train.monitor' must be one of "
                          f"{', '.join(BASE_METRICS + self.extra_metrics)}; got {monitor!r}")


FORMATS: Registry[DataFormat] = Registry("data format", config_key="data.format")


def register_format(cls: type[DataFormat]) -> type[DataFormat]:
    """Class decorator: register one instance of a DataFormat subclass under its `name`."""
    FORMATS.register(cls.name, cls())
    return cls


def images_in(folder: Path) -> list[Path]:
    """The image files of a folder, sorted; DataError if the folder is missing or holds none."""
    if not folder.is_dir():
        raise DataError(f"{folder}: folder not found")
    images = sorted(p for p in folder.iterdir() if is_image_file(p))
    if not images:
        raise DataError(f"{folder}: no image files (.png, .jpg, .tif, .gif, ...)")
    return images


def find_partner(folder: Path, stem: str, image: Path, what: str) -> Path:
    """The file in `folder` named like `image`: the same stem, or else the only one whose stem starts
    with it plus '_' (DRIVE's 01_test.tif -> 01_test_mask.gif)."""
    matches = sorted(p for p in folder.glob(f"{stem}.*") if is_image_file(p))
    if not matches:
        matches = sorted(p for p in folder.glob(f"{stem}_*") if is_image_file(p))
        if len(matches) > 1:
            raise DataError(f"{image}: several {what} files start with {stem}_ in {folder}")
    if not matches:
        raise DataError(f"{image}: no {what} file named {stem}.* in {folder}")
    return matches[0]


def find_samples(data: DataConfig, split: str, need_masks: bool = True) -> list[SampleFiles]:
    """List the samples of `split` for the configured dataset format."""
    if split not in SPLITS:
        raise DataError(f"unknown split '{split}' (choose from {', '.join(SPLITS)})")
    data_format = FORMATS[data.format]
    root = data_format.prepare_root(data)
    if not root.is_dir():
        raise DataError(f"{root}: dataset folder not found (data.root)")
    return data_format.find(root, split, data, need_masks)
