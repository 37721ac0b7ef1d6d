"""A dataset's fingerprint (nnU-Net's word): what the files are, measured, before any choice is made.

Files are found as training finds them (the chosen data format), every image's and mask's header is
opened and its file checked without decoding (sizes, modes, unreadable and truncated files, masks of
another size) and a spread-out subsample of each split is decoded for intensities and mask values, so a
thousand 512x512 images take a few seconds. What training would stop on is collected as `problems`
(data/dataset_problems.py). The mask values are read raw, not through
the mask doctor, and `masks.describe_masks` says what they are (binary, class ids, palette, colours)
and which settings read them right.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from struct import error as struct_error

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..config import DataConfig
from ..errors import DataError, UnetkitError
from ..viz.palette import voc_palette
from .colour_table import ColourTable, find_colour_table, read_colour_table
from .dataset_problems import (
    MAX_CLASS_VALUE,
    size_problem,
    split_encoding_problems,
    unreadable_problems,
    wide_value_problem,
)
from .formats import FORMATS, SPLITS, SampleFiles
from .layout import Layout, describe_layout, mean_rows
from .mask_kinds import MaskFindings, describe_masks

VOC_CLASSES = 21

IMAGES_DECODED = 48      # images decoded for intensity statistics (spread over the training split)
MASKS_DECODED = 96       # masks decoded for their values and pixel fractions
GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "F")


@dataclass
class Fingerprint:
    root: str
    format: str
    splits: dict[str, int]                     # images per split (those with masks where masks are needed)
    sizes: dict[str, list[int]]                # min / median / max [width, height]
    channels: int                              # 1 when every decoded image is grey (also grey stored as RGB)
    bit_depth: int
    image_modes: dict[str, int]
    intensity: dict[str, list[float]]          # mean / std / p1 / p99 per channel, 0..255 scale
    masks: MaskFindings
    layout: Layout                             # whether the images have an up direction (data/layout.py)
    roi: bool                                  # a region-of-interest mask comes with the images
    unpaired: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # split problems found on the way
    problems: list[str] = field(default_factory=list)   # what training would stop on (data/dataset_problems.py)
    images_decoded: int = 0
    masks_decoded: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def median_size(self) -> tuple[int, int]:
        width, height = self.sizes["median"]
        return width, height


def _spread(items: list, count: int) -> list:
    """`count` items evenly spread over `items` (all of them when there are fewer)."""
    if len(items) <= count:
        return list(items)
    return [items[int(i)] for i in np.linspace(0, len(items) - 1, count).round()]


def _open(path: Path, page: int | None) -> Image.Image:
    image = Image.open(path)
    if page is not None:
        image.seek(page)
    return image


def _split_files(data: DataConfig, root: Path) -> tuple[dict[str, list[SampleFiles]], list[str], list[str], list[str]]:
    """The files of each split as training lists them, the unpaired images, notes on splits that could
    not be listed (a missing test/ is no problem, but say so) and the problems the format found in its
    own files (an annotation export's), each once."""
    data_format = FORMATS[data.format]
    found: dict[str, list[SampleFiles]] = {}
    unpaired: list[str] = []
    notes: list[str] = []
    problems: list[str] = []
    for split in SPLITS:
        try:
            found[split], split_problems = data_format.survey(root, split, data, split != "test")
            if split == "test":   # training never reads the test split: what is wrong there is a note, no stop
                notes += [f"test: {problem}" for problem in split_problems]
            else:
                problems += [problem for problem in split_problems if problem not in problems]
        except UnetkitError as error:
            notes.append(f"{split}: {error}")
            found[split] = []
        unpaired += [name for name in data_format.unpaired(root, split, data) if name not in unpaired]
    return found, unpaired, notes, problems


READ_ERRORS = (OSError, UnidentifiedImageError, EOFError, ValueError, SyntaxError)


def _name(sample: SampleFiles, path: Path) -> str:
    return str(path) + (f" page {sample.page}" if sample.page is not None else "")


def _headers(samples: list[SampleFiles]) -> tuple[dict[tuple, tuple[int, int]], Counter, list[str]]:
    """Each image's size (by (image, page)) and mode from its header; PIL's verify() reads the rest of
    the file without decoding it (a PNG cut short fails its checksums), so a truncated file is named here."""
    sizes, modes, unreadable = {}, Counter(), []
    for sample in samples:
        try:
            with _open(sample.image, sample.page) as image:
                size, mode = _upright_size(image), image.mode
                image.verify()
            sizes[(sample.image, sample.page)] = size
            modes[mode] += 1
        except READ_ERRORS:
            unreadable.append(_name(sample, sample.image))
    return sizes, modes, unreadable


def _upright_size(image: Image.Image) -> tuple[int, int]:
    """(width, height) as training reads the file: upright, an EXIF rotation of a quarter turn applied."""
    width, height = image.size
    orientation = getattr(image, "tag_v2", {}).get(0x0112)   # TIFF: in the header already read
    raw = image.info.get("exif")   # JPEG, WebP: the EXIF bytes came with the header (no read before verify())
    if orientation is None and raw:
        exif = Image.Exif()
        try:
            exif.load(raw)
            orientation = exif.get(0x0112)
        except (OSError, ValueError, SyntaxError, struct_error):
            orientation = None
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _mask_sizes(samples: list[SampleFiles], image_sizes: dict[tuple, tuple[int, int]]) -> tuple[list[str], list[str]]:
    """(size problems, unreadable masks) from every mask's header against its image's."""
    problems, unreadable = [], []
    for sample in samples:
        try:
            with _open(sample.mask, sample.page) as mask:
                size = _upright_size(mask)
                mask.verify()
        except READ_ERRORS:
            unreadable.append(_name(sample, sample.mask))
            continue
        image_size = image_sizes.get((sample.image, sample.page))
        if image_size is not None and size != image_size:
            problems.append(size_problem(sample.mask, size, sample.image, image_size))
    return problems, unreadable


def _spread_per_split(samples: list[SampleFiles], split_of: dict[tuple, str], count: int) -> list[SampleFiles]:
    """`count` samples spread over `samples`, each split's share in proportion but at least a few of each
    (a split's masks are compared with the others')."""
    by_split: dict[str, list[SampleFiles]] = {}
    for sample in samples:
        by_split.setdefault(split_of.get((sample.image, sample.page), "train"), []).append(sample)
    chosen = []
    for members in by_split.values():
        chosen += _spread(members, max(min(8, count), round(count * len(members) / max(len(samples), 1))))
    return chosen


def _pixels(sample: SampleFiles) -> np.ndarray:
    """A decoded image as (H, W, C) in 0..255 floats (16-bit scaled), every 2nd pixel."""
    with _open(sample.image, sample.page) as image:
        if image.mode in ("I", "I;16", "I;16B", "F"):
            array = np.asarray(image).astype(np.float64)
            top = 65535.0 if image.mode.startswith("I;16") or array.max(initial=0) > 255 else 255.0
            array = array[..., None] * (255.0 / top)
        else:
            array = np.asarray(image.convert("L" if image.mode in GREY_MODES else "RGB")).astype(np.float64)
    array = array[..., None] if array.ndim == 2 else array
    return array[::2, ::2]


def _intensity(arrays: list[np.ndarray], channels: int) -> dict[str, list[float]]:
    if not arrays:
        return {}
    values = np.concatenate([a[..., :channels].reshape(-1, channels) for a in arrays])
    return {"mean": values.mean(0).round(2).tolist(), "std": values.std(0).round(2).tolist(),
            "p1": np.percentile(values, 1, axis=0).round(1).tolist(),
            "p99": np.percentile(values, 99, axis=0).round(1).tolist()}


def _mask_values(sample: SampleFiles) -> tuple[str, np.ndarray, np.ndarray, dict[int, tuple[float, int]]]:
    """(kind of file: grey | palette | colour, the values, their pixel counts, each value's mean row)
    of one mask, raw; colours are coded as r << 16 | g << 8 | b."""
    with _open(sample.mask, sample.page) as mask:
        if mask.mode in ("P", "PA"):
            kind, plane = "palette", np.asarray(mask.convert("P") if mask.mode == "PA" else mask).astype(np.int64)
        elif mask.mode in ("RGB", "RGBA"):
            rgb = np.asarray(mask.convert("RGB")).astype(np.int64)
            if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]):
                kind, plane = "grey", rgb[..., 0]
            else:
                kind, plane = "colour", rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2]
        else:
            kind, plane = "grey", np.asarray(mask if mask.mode != "1" else mask.convert("L")).astype(np.int64)
    values, counts = np.unique(plane, return_counts=True)
    return kind, values, counts, mean_rows(plane)


def _class_of(masks: MaskFindings, values) -> dict[int, str]:
    """Raw mask value -> class name as `masks` reads them (void values left out)."""
    names = masks.class_names or (["background", "foreground"] if masks.num_classes == 2 else
                                  [f"class_{i}" for i in range(masks.num_classes)])
    if masks.kind == "binary":
        threshold = 127 if max(values, default=0) > 1 and len(values) > 2 else 0
        return {v: names[int(v > threshold)] for v in values}
    if masks.kind == "rgb":
        return {(r << 16 | g << 8 | b): names[i] for i, (r, g, b) in enumerate(masks.colors)}
    return {v: names[v] for v in values if v < masks.num_classes and v != masks.ignore_value}


def colour_table_for(root: Path, user_colors: str | list | None, user_class_names: list | None,
                     table_file: str = "") -> ColourTable | None:
    """The classes' colours the user named (data.colors: a list, or 'voc' for VOC's 21 classes), else the
    table file named by data.color_table, else the dataset's own (classes.yaml, labelmap.txt in root);
    the user's data.class_names name colours given as a list."""
    if table_file:
        return read_colour_table(table_file)
    if user_colors == "voc":
        return ColourTable(list(user_class_names or []), voc_palette()[:VOC_CLASSES].tolist(), "")
    if user_colors:
        return ColourTable(list(user_class_names or []), [list(c) for c in user_colors], "")
    return find_colour_table(root)


def fingerprint_dataset(data: DataConfig, user_num_classes: int | None = None,
                        user_ignore_index: int | None = None, user_colors: str | list | None = None,
                        user_class_names: list | None = None) -> Fingerprint:
    """Fingerprint the dataset that `data` (format, root, pairing settings) describes.

    `user_*`: the values the user set (not defaults), which the mask findings respect and check (a
    value outside the user's classes suggests an ignore label; colours name the classes)."""
    started = time.perf_counter()
    root = FORMATS[data.format].prepare_root(data)
    if not root.is_dir():
        raise DataError(f"{root}: dataset folder not found (data.root)")
    by_split, unpaired, notes, format_problems = _split_files(data, root)
    declared = FORMATS[data.format].colour_table(data) if not (user_colors or data.color_table) else None
    if declared is not None:   # an export's categories: every class counts, seen in the masks or not
        user_num_classes = user_num_classes or len(declared.names)
        user_ignore_index = 255 if user_ignore_index is None else user_ignore_index
    everything = list({(s.image, s.page): s for split in SPLITS for s in by_split[split]}.values())
    if not everything:
        raise DataError(f"{root}: no images found as data.format={data.format} "
                        f"({'; '.join(notes + format_problems[:1]) or 'empty'})")
    image_sizes, modes, unreadable = _headers(everything)
    sizes = list(image_sizes.values())
    labelled = [s for s in by_split["train"] + by_split["val"] if s.mask is not None] or \
               [s for s in everything if s.mask is not None]
    split_of = {(s.image, s.page): split for split in SPLITS for s in by_split[split]}
    trained_on = {key for key, split in split_of.items() if split != "test"}   # training never reads test/
    problems, unreadable_masks = _mask_sizes([s for s in labelled if (s.image, s.page) in trained_on], image_sizes)
    decoded, kinds, value_counts, rows = [], set(), Counter(), []
    for sample in _spread(labelled or everything, IMAGES_DECODED):
        try:
            decoded.append(_pixels(sample))
        except READ_ERRORS:   # the header passed, the pixels do not decode
            if _name(sample, sample.image) not in unreadable:
                unreadable.append(_name(sample, sample.image))
    masks_read = 0
    values_by_split: dict[str, set[int]] = {}
    for sample in _spread_per_split(labelled, split_of, MASKS_DECODED):
        try:
            kind, values, counts, mask_rows = _mask_values(sample)
        except READ_ERRORS:
            if _name(sample, sample.mask) not in unreadable:
                unreadable.append(_name(sample, sample.mask))
            continue
        if kind == "grey" and values.size > 2 and int(values.max()) > MAX_CLASS_VALUE:   # {0, 65535}: binary
            problems.append(wide_value_problem(sample.mask, int(values.max())))
            continue
        if kind == "grey":
            values_by_split.setdefault(split_of.get((sample.image, sample.page), "train"), set()).update(values.tolist())
        kinds.add(kind)
        rows.append(mask_rows)
        value_counts.update(dict(zip(values.tolist(), counts.tolist(), strict=True)))
        masks_read += 1
    unreadable += [name for name in unreadable_masks if name not in unreadable]
    read_by_training = {_name(s, path) for split in ("train", "val") for s in by_split[split]
                        for path in (s.image, s.mask) if path is not None}
    problems = (format_problems + unreadable_problems([name for name in unreadable if name in read_by_training])
                + problems + split_encoding_problems(values_by_split))
    grey = all(a.shape[2] == 1 or (np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 1], a[..., 2]))
               for a in decoded)
    channels = 1 if grey else 3
    widths, heights = (np.array([s[0] for s in sizes]), np.array([s[1] for s in sizes])) if sizes else ([0], [0])
    masks = describe_masks(kinds, value_counts, user_num_classes, user_ignore_index,
                           declared or colour_table_for(root, user_colors, user_class_names, data.color_table))
    landscape = float(np.mean(np.asarray(widths) > np.asarray(heights))) if sizes else 0.0
    return Fingerprint(
        root=str(root), format=data.format, splits={split: len(by_split[split]) for split in SPLITS},
        sizes={"min": [int(np.min(widths)), int(np.min(heights))],
               "median": [int(np.median(widths)), int(np.median(heights))],
               "max": [int(np.max(widths)), int(np.max(heights))]},
        channels=channels, bit_depth=16 if any(m.startswith("I") for m in modes) else 8, image_modes=dict(modes),
        intensity=_intensity(decoded, channels),
        masks=masks, layout=describe_layout(rows, _class_of(masks, sorted(value_counts)), round(landscape, 3)),
        roi=any(s.roi is not None for s in everything), unpaired=unpaired, unreadable=unreadable, notes=notes,
        problems=problems,
        images_decoded=len(decoded), masks_decoded=masks_read, seconds=round(time.perf_counter() - started, 2))
