"""What a data format is: an object that names the files of each split, plus the rules that come with it.

A format only names files; reading and validating their contents is io.py's job. Formats register
themselves in FORMATS (`@register_format`), which also supplies the choices of `data.format`; the
trainer, the evaluator and k-fold training ask the chosen object, never compare its name.
"""
from __future__ import annotations

import bisect
import dataclasses
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...config import Config, DataConfig
from ...errors import ConfigError, DataError
from ...registry import Registry, registry_for
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


FOLD_SEED = 0   # folds depend only on the image names: the same folds on every machine and every run


class DataFormat:
    """Base class: a folder layout under data.root. Subclasses implement `find`."""
    name = ""
    needs_root = True                      # data.root must be given
    extra_metrics: tuple[str, ...] = ()    # scored besides every evaluation's metrics (metrics/names.py)

    layout = ""                            # what `recognises` looks for, for the detection error

    def find(self, root: Path, split: str, data: DataConfig, need_masks: bool) -> list[SampleFiles]:
        raise NotImplementedError

    def recognises(self, root: Path) -> bool:
        """Whether `root` is laid out as this format (the automatic plan's detection); default never."""
        return False

    def survey(self, root: Path, split: str, data: DataConfig, need_masks: bool) -> tuple[list[SampleFiles], list[str]]:
        """`find` for `inspect`: the samples that can be used and a line for each problem with the rest
        (annotation exports: a polygon of two points, a missing image), where `find` stops on the first.
        Default: find's samples, no problems."""
        return self.find(root, split, data, need_masks), []

    def colour_table(self, data: DataConfig):
        """The classes the dataset declares in its own files (an annotation export's categories), as a
        ColourTable naming the mask values; None: the masks' values and a colour table file say (default)."""
        return None

    def unpaired(self, root: Path, split: str, data: DataConfig) -> list[str]:
        """Images of `split` that have no mask and are left out (named by `inspect`); default none."""
        return []

    def prepare_root(self, data: DataConfig) -> Path:
        """The dataset folder (a generated format writes it here first)."""
        return Path(data.root)

    def has_validation(self, data: DataConfig) -> bool:
        """Whether training validates on a 'val' split with these settings."""
        return True

    def settle(self, data: DataConfig) -> DataConfig:
        """The data settings with the choices made from the files themselves written in (the folder
        format's automatic validation split), so that the run stores them and a resume or an
        evaluation reuses them. Default: as given."""
        return data

    def fold_names(self, data: DataConfig) -> list[str] | None:
        """The training images k-fold training divides, by the names data.val_images takes; None when
        the format has no k-fold split of its own kind (default)."""
        return None

    def folds(self, data: DataConfig, count: int) -> list[Fold]:
        """`count` folds over fold_names: a fixed-seed shuffle cut into nearly equal held-out groups,
        each fold's held-out names in its data.val_images (so every run stores its own split)."""
        names = self.fold_names(data)
        if names is None:
            offered = [name for name, fmt in FORMATS.items()
                       if type(fmt).folds is not DataFormat.folds or type(fmt).fold_names is not DataFormat.fold_names]
            raise ConfigError(f"--folds: data.format={self.name} has no k-fold split "
                              f"(formats with one: {', '.join(offered) or 'none'})")
        if not 2 <= count <= len(names):
            raise ConfigError(f"--folds must be between 2 and the number of training images ({len(names)})")
        shuffled = [sorted(names)[i] for i in np.random.default_rng(FOLD_SEED).permutation(len(names))]
        groups = [sorted(group.tolist()) for group in np.array_split(np.array(shuffled, dtype=object), count)]
        return [Fold("val_images", group, dataclasses.replace(data, val_images=group)) for group in groups]

    def check_config(self, config: Config) -> None:
        """Keys that depend on the format: data.root, and the metric train.monitor watches."""
        if self.needs_root and not config.data.root:
            raise ConfigError(f"data.format={self.name} needs data.root (the dataset folder)")
        monitor = config.train.monitor
        every_evaluation = tuple(name for name, metric in registry_for("train.monitor").items()
                                 if metric.every_evaluation)   # metrics/names.py, read through the registry
        if monitor in every_evaluation or monitor in self.extra_metrics:
            return
        offered = [name for name, fmt in FORMATS.items() if monitor in fmt.extra_metrics]
        if offered:
            raise ConfigError(f"train.monitor={monitor} is scored on data.format={'/'.join(offered)} only")
        raise ConfigError(f"config key 'train.monitor' must be one of "
                          f"{', '.join(every_evaluation + self.extra_metrics)}; got {monitor!r}")


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


@functools.lru_cache(maxsize=64)
def _image_names(folder: Path, modified_ns: int) -> tuple[str, ...]:
    """The sorted image file names of `folder` (cached per modification time: pairing a thousand
    images would otherwise list the folder a few thousand times)."""
    return tuple(sorted(p.name for p in folder.iterdir() if is_image_file(p)))


def _starting_with(folder: Path, prefix: str) -> list[Path]:
    if not folder.is_dir():
        return []
    names = _image_names(folder, folder.stat().st_mtime_ns)
    index, found = bisect.bisect_left(names, prefix), []
    while index < len(names) and names[index].startswith(prefix):
        found.append(folder / names[index])
        index += 1
    return found


def find_partner(folder: Path, stem: str, image: Path, what: str, suffix: str = "") -> Path:
    """The file in `folder` that belongs to `image`, by the naming schemes datasets use:
    the same stem; the stem plus `suffix` (data.mask_suffix: ISIC's '_segmentation'); the only file
    whose stem starts with the stem plus '_' (DRIVE's 01_test.tif -> 01_test_mask.gif); the only file
    named by the image's leading id plus '_' (DRIVE's 01_test.tif -> 01_manual1.gif)."""
    leading_id = re.split(r"[_-]", stem, maxsplit=1)[0]
    # each scheme is a name prefix: "<stem>." is any extension, "<stem>_" any ending
    candidates = [f"{stem}.", *([f"{stem}{suffix}."] if suffix else []), f"{stem}_",
                  *([f"{leading_id}{suffix}."] if suffix and leading_id != stem else []),
                  *([f"{leading_id}_"] if leading_id != stem else [])]
    ambiguous: list[Path] = []
    for prefix in candidates:
        matches = _starting_with(folder, prefix)
        if len(matches) == 1 or (matches and not prefix.endswith("_")):
            return matches[0]   # (the same stem with two extensions: the first in order)
        ambiguous = ambiguous or matches
    if ambiguous:
        raise DataError(f"{image}: several {what} files start with {stem}_ in {folder} "
                        f"({', '.join(p.name for p in ambiguous[:3])}); set data.mask_suffix")
    raise DataError(f"{image}: no {what} file named {stem}.* in {folder} "
                    f"(masks named <stem><suffix>? set data.mask_suffix)")


def detect_format(root: Path) -> str:
    """The name of the registered format whose layout `root` has; DataError listing the layouts if none."""
    if not root.is_dir():
        raise DataError(f"{root}: dataset folder not found (data.root)")
    for name, data_format in FORMATS.items():
        if data_format.recognises(root):
            return name
    layouts = "; ".join(f"{name}: {fmt.layout}" for name, fmt in FORMATS.items() if fmt.layout)
    raise DataError(f"{root}: not a dataset layout unetkit knows ({layouts}); set data.format")


def find_samples(data: DataConfig, split: str, need_masks: bool = True) -> list[SampleFiles]:
    """List the samples of `split` for the configured dataset format."""
    if split not in SPLITS:
        raise DataError(f"unknown split '{split}' (choose from {', '.join(SPLITS)})")
    data_format = FORMATS[data.format]
    root = data_format.prepare_root(data)
    if not root.is_dir():
        raise DataError(f"{root}: dataset folder not found (data.root)")
    return data_format.find(root, split, data, need_masks)
