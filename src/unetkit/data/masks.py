"""The mask doctor: decode a mask file's values into labels by what they are, not by what was assumed.

The two silent failures the peers' trackers are full of ("my predictions are all black") come from
here: a 0/1 mask read as 0/255 (every pixel background), and a 0/255 mask read as class ids (every
foreground pixel the ignore label). Both are caught:

- binary masks: {0, 1} and {0, 255} (and any {0, k}) are both binary; anti-aliased or JPEG masks
  with many grey levels are thresholded at 128; a few small values (0, 1, 2, ...) are a class-index
  mask and a one-line error says to set data.mask=index;
- index masks: palette PNGs give their indices, grey values are class ids, RGB colour masks map
  through a colour table (VOC's, or data.colors); a 0/255 mask for two classes, values outside the
  classes, and unknown colours are one-line errors naming what was found and the key to set. The
  file's void value (data.ignore_index, default 255) becomes the ignore label 255 inside unetkit.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError
from ..labels import IGNORE_INDEX

SMALL_CLASS_IDS = 32   # grey values below this, three or more of them, look like class ids


def _shown(values: np.ndarray, limit: int = 6) -> str:
    return ", ".join(str(int(v)) for v in values[:limit]) + (" ..." if values.size > limit else "")


def binary_labels(plane: np.ndarray, path: Path) -> np.ndarray:
    """Grey values (H, W) -> {0, 1} uint8, by the values the file holds."""
    values = np.unique(plane)
    if values.size == 1 or (values.size == 2 and values[0] == 0):
        return (plane > 0).astype(np.uint8)          # {0}, {k}, {0, 1}, {0, 255}, {0, k}
    if values.size >= 3 and values.max() < SMALL_CLASS_IDS:
        raise DataError(f"{path}: mask values {_shown(values)} look like class ids, not a binary mask; "
                        f"set data.mask=index data.num_classes={int(values.max()) + 1}")
    if values.size == 2:
        raise DataError(f"{path}: mask values {_shown(values)} (no 0): which is foreground is ambiguous; "
                        f"set data.mask=index (class ids) or rewrite the mask as 0/255")
    return (plane > 127).astype(np.uint8)             # anti-aliased or JPEG-compressed 0/255


def index_labels(plane: np.ndarray, path: Path, num_classes: int, ignore_index: int = IGNORE_INDEX,
                 palette: bool = False) -> np.ndarray:
    """Class ids (H, W) -> uint8 labels with the file's void value `ignore_index` as 255."""
    values = np.unique(plane)
    if (not palette and num_classes == 2 and ignore_index == IGNORE_INDEX and values.size == 2
            and values[0] == 0 and values[1] == 255):
        raise DataError(f"{path}: a 0/255 mask read as class ids would make every foreground pixel "
                        f"'ignore' (255); set data.mask=binary")
    bad = values[(values >= num_classes) & (values != ignore_index)]
    if bad.size:
        hint = f"({ignore_index} = ignore)"
        if bad.size == 1 and ignore_index == IGNORE_INDEX and bad[0] < IGNORE_INDEX:
            hint = f"if {int(bad[0])} marks void pixels, set data.ignore_index={int(bad[0])}"
        elif bad.min() >= num_classes and bad.max() < SMALL_CLASS_IDS:
            hint += f"; more classes? set data.num_classes={int(bad.max()) + 1}"
        raise DataError(f"{path}: label values {_shown(bad)} outside classes 0..{num_classes - 1} {hint}")
    labels = plane.astype(np.uint8) if ignore_index == IGNORE_INDEX else np.where(
        plane == ignore_index, IGNORE_INDEX, plane).astype(np.uint8)
    return labels


def colour_labels(rgb: np.ndarray, path: Path, colours: np.ndarray, num_classes: int,
                  ignore_colour: tuple[int, int, int] | None = None) -> np.ndarray:
    """RGB (H, W, 3) -> class ids by exact colour: `colours` (K, 3) are the classes' colours in order;
    `ignore_colour` (VOC's cream border) becomes 255. An unknown colour is a one-line error."""
    codes = (rgb[..., 0].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) | rgb[..., 2]
    table = {int(r) << 16 | int(g) << 8 | int(b): index for index, (r, g, b) in enumerate(colours[:num_classes])}
    if ignore_colour is not None:
        table.setdefault(ignore_colour[0] << 16 | ignore_colour[1] << 8 | ignore_colour[2], IGNORE_INDEX)
    found = np.unique(codes)
    unknown = [code for code in found.tolist() if code not in table]
    if unknown:
        shown = ", ".join(f"({c >> 16}, {c >> 8 & 255}, {c & 255})" for c in unknown[:4])
        raise DataError(f"{path}: colours {shown}{' ...' if len(unknown) > 4 else ''} are not in the colour "
                        f"table of {num_classes} classes; list every class colour in data.colors")
    lookup = np.zeros(found.size, np.uint8)
    for position, code in enumerate(found.tolist()):
        lookup[position] = table[code]
    return lookup[np.searchsorted(found, codes)]
