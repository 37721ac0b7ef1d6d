"""What the annotation-tool formats (coco, cvat, labelme, label_studio) share: where a split's export and
images are, reading it once into painted label maps (data/annotations/), and the folder format's rules
for the rest (an automatic validation split when the export has none, k-fold over the training images).

A format names, per split, a `SplitSource`: the export file(s) and the images folder. The layouts each
format finds on its own are in its module; `data.annotations=FILE` (+ `data.images=DIR`) names one export
for anything else, which then holds the training images (validation held out by data.val_fraction).
What an export gets wrong (a missing image, a polygon of two points, an RLE of another size, an undeclared
category) is a problem line naming the file, the image and the annotation: `inspect` lists them all,
training stops on the first.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...config import Config, DataConfig, one_of, option, options_of
from ...errors import ConfigError, DataError
from ..annotations.label_cache import cache_key, painted_masks, unique_names
from ..annotations.regions import Annotations
from ..colour_table import ColourTable
from .base import DataFormat, SampleFiles
from .folder import held_out_names

log = logging.getLogger(__name__)


UNANNOTATED = ("images the export lists without any region: background (all class 0) | unlabelled (left out "
               "of training: a tool's frames nobody has labelled yet)")


@dataclass
class AnnotationOptions:
    """data.<format>.*: how an export's regions become label maps. A tool that lists every frame of a task,
    labelled or not (CVAT, Label Studio), leaves the unlabelled out by default; a COCO file or a LabelMe
    JSON that lists an image with no region says it has none (background)."""
    unannotated: str = option("background", UNANNOTATED, one_of("background", "unlabelled"))

    def crowd_as_ignore(self, annotations) -> bool:
        return True


@dataclass(frozen=True)
class SplitSource:
    """A split's export file(s) and the folder its images are in."""
    files: tuple[Path, ...]
    images: Path


SPLIT_FOLDERS = {"train": ("train",), "val": ("valid", "val", "validation"), "test": ("test",)}   # Roboflow: valid/


def exports_by_split(root: Path, export_in: Callable[[Path], SplitSource | None], what: str,
                     layout: str) -> dict[str, SplitSource]:
    """An export per split folder (train/, valid/ or val/, test/), else the one in `root` as the training set;
    `export_in(folder)` finds a format's export in a folder (None: none there). DataError naming `what` and
    the layout when there is no training export."""
    found: dict[str, SplitSource] = {}
    for split, folders in SPLIT_FOLDERS.items():
        source = next((s for s in (export_in(root / folder) for folder in folders) if s is not None), None)
        if source is not None:
            found[split] = source
    if not found and (source := export_in(root)) is not None:
        found["train"] = source
    if "train" not in found:
        raise DataError(f"{root}: no {what} here ({layout})")
    return found


@dataclass
class ReadSplit:
    """A split as painted: its samples, the images left out (unlabelled), its export's problems, its classes."""
    samples: list[SampleFiles]
    left_out: list[str]
    problems: list[str]
    class_names: list[str]


class AnnotationFormat(DataFormat):
    """Base class: subclasses give `sources` (their layouts) and `read` (their file -> Annotations)."""
    options = AnnotationOptions
    layout = ""
    needs_root = False   # data.root or data.annotations (check_config)

    def __init__(self):
        self.read_before: dict[str, ReadSplit] = {}   # cache key -> the split as read (_read_painted)

    def sources(self, root: Path) -> dict[str, SplitSource]:
        """The splits the layout under `root` holds ('train' at least; DataError when it is not this layout)."""
        raise NotImplementedError

    def read(self, source: SplitSource, options: AnnotationOptions) -> Annotations:
        raise NotImplementedError

    def reads_export(self, path: Path) -> bool:
        """Whether the file at `path` is this format's export (data.annotations without data.format)."""
        return False

    # -- where the splits are --------------------------------------------------------------------------
    def recognises(self, root: Path) -> bool:
        try:
            return "train" in self.sources(root)
        except (DataError, OSError):
            return False

    def prepare_root(self, data: DataConfig) -> Path:
        if data.root:
            return Path(data.root)
        return Path(data.images) if data.images else Path(data.annotations).parent

    def _sources(self, data: DataConfig) -> dict[str, SplitSource]:
        if data.annotations:
            file = Path(data.annotations)
            if not file.is_file():
                raise DataError(f"{file}: annotation file not found (data.annotations)")
            images = Path(data.images) if data.images else Path(data.root) if data.root else file.parent
            if not images.is_dir():
                raise DataError(f"{images}: images folder not found (data.images)")
            return {"train": SplitSource((file,), images)}
        return self.sources(self.prepare_root(data))

    # -- reading, once per export ----------------------------------------------------------------------
    def read_split(self, data: DataConfig, split: str) -> ReadSplit | None:
        """The split painted (None when the layout has no such split); every split's ids follow the
        training export's classes, so that a category listed in another order means the same class."""
        sources = self._sources(data)
        if split not in sources:
            return None
        options = options_of(data, self.name)
        train = _read_painted(self, sources["train"], options, None)
        return train if split == "train" else _read_painted(self, sources[split], options, train.class_names)

    def _split(self, data: DataConfig, split: str) -> ReadSplit | None:
        sources = self._sources(data)
        if split == "val" and "val" not in sources:   # held out of train, as the folder format does
            return self._held_out(data, keep_held_out=True)
        if split == "train" and "val" not in sources:
            return self._held_out(data, keep_held_out=False)
        return self.read_split(data, split)

    def _held_out(self, data: DataConfig, keep_held_out: bool) -> ReadSplit:
        train = self.read_split(data, "train")
        held_out = set(data.val_images or held_out_names([s.name for s in train.samples], data.val_fraction))
        missing = held_out - {s.name for s in train.samples}
        if missing and not train.problems:
            raise DataError(f"{self._sources(data)['train'].files[0]}: data.val_images {sorted(missing)[:3]} are "
                            f"not among the export's labelled images")
        kept = [s for s in train.samples if (s.name in held_out) == keep_held_out]
        return dataclasses.replace(train, samples=kept)

    def find(self, root: Path, split: str, data: DataConfig, need_masks: bool) -> list[SampleFiles]:
        read = self._split(data, split)
        if read is None:
            raise DataError(f"{root}: no {split} split in this {self.name} layout")
        if read.problems:
            more = (f" (and {len(read.problems) - 1} more: `unetkit inspect {root}` lists them)"
                    if len(read.problems) > 1 else "")
            raise DataError(f"{read.problems[0]}{more}")
        if not read.samples:
            raise DataError(f"{root}: the {split} split of this {self.name} export has no labelled image")
        return read.samples

    def survey(self, root: Path, split: str, data: DataConfig, need_masks: bool) -> tuple[list[SampleFiles], list[str]]:
        read = self._split(data, split)
        if read is None:
            raise DataError(f"{root}: no {split} split in this {self.name} layout")
        return read.samples, read.problems

    def unpaired(self, root: Path, split: str, data: DataConfig) -> list[str]:
        try:
            read = self._split(data, split)
        except DataError:
            return []
        return read.left_out if read is not None else []

    def colour_table(self, data: DataConfig) -> ColourTable | None:
        """The classes the export declares (names; VOC colours), which name the painted maps' ids."""
        read = self.read_split(data, "train")
        if read is None:
            return None
        from ...viz.palette import voc_palette
        colours = voc_palette()[:len(read.class_names)].tolist()
        return ColourTable(read.class_names, colours, str(self._sources(data)["train"].files[0]))

    # -- the folder format's rules -----------------------------------------------------------------------
    def has_validation(self, data: DataConfig) -> bool:
        if "val" in self._sources(data):
            return True
        return bool(self._held_out(data, keep_held_out=True).samples)   # one image: training without validation

    def settle(self, data: DataConfig) -> DataConfig:
        if data.val_images or "val" in self._sources(data):
            return data
        train = self.read_split(data, "train")
        names = held_out_names([s.name for s in train.samples], data.val_fraction)
        if names:
            log.info("no validation split in the export: holding out %d training images (data.val_fraction=%g)",
                     len(names), data.val_fraction)
        return dataclasses.replace(data, val_images=names) if names else data

    def fold_names(self, data: DataConfig) -> list[str]:
        if "val" in self._sources(data):
            raise ConfigError(f"--folds divides the training images, but this {self.name} export has a "
                              f"validation split too: train without --folds, or name one export (data.annotations)")
        return [sample.name for sample in self.read_split(data, "train").samples]

    def check_config(self, config: Config) -> None:
        if not config.data.root and not config.data.annotations:
            raise ConfigError(f"data.format={self.name} needs data.root (the export's folder) or data.annotations=FILE")
        if config.data.mask != "index":
            raise ConfigError(f"data.format={self.name} paints class-id label maps: set data.mask=index")
        super().check_config(config)


def _read_painted(data_format: AnnotationFormat, source: SplitSource, options: AnnotationOptions,
                  class_names: list[str] | None) -> ReadSplit:
    """Read the export and paint it (or find the painting of an unchanged export): ReadSplit. `class_names`:
    the training export's classes, which this one's categories are matched to by name (None: its own)."""
    settings = dataclasses.asdict(options) | {"format": data_format.name, "classes": class_names}
    key = cache_key(list(source.files), source.images, settings)
    cached = data_format.read_before.get(key)
    if cached is not None:
        return cached
    annotations = data_format.read(source, options)
    if class_names is not None:
        annotations.problems += annotations.use_classes(class_names)
    if options.unannotated == "unlabelled":
        left_out = [str(image.path) for image in annotations.images if not image.annotated]
        annotations.images = [image for image in annotations.images if image.annotated]
    else:
        left_out = []
    masks = painted_masks(annotations, key, options.crowd_as_ignore(annotations), 0) if annotations.images else {}
    samples = [SampleFiles(name, image.path, masks[name])
               for name, image in zip(unique_names(annotations), annotations.images, strict=True)]
    read = ReadSplit(samples, left_out, annotations.problems, class_names or annotations.class_names())
    data_format.read_before[key] = read   # an export is parsed once per process, not at every split and question
    return read


def format_of_export(path: Path) -> str:
    """The annotation format whose export `path` is (data.annotations=FILE without data.format)."""
    from .base import FORMATS
    if not path.is_file():
        raise DataError(f"{path}: annotation file not found (data.annotations)")
    for name, data_format in FORMATS.items():
        if isinstance(data_format, AnnotationFormat) and data_format.reads_export(path):
            return name
    names = [name for name, fmt in FORMATS.items()
             if isinstance(fmt, AnnotationFormat) and type(fmt).reads_export is not AnnotationFormat.reads_export]
    raise DataError(f"{path}: not an annotation export unetkit reads ({', '.join(names)}); set data.format")
