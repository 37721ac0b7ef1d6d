"""Painted label maps kept as PNGs, so an export is rasterised once, not at every epoch or command.

The folder is named by a hash of the export file (its path, size and modification time), the images
folder and the reading settings: an edited export, another folder or another setting paints anew, an
unchanged one is read back. It lives under $UNETKIT_CACHE, else $XDG_CACHE_HOME/unetkit, else
~/.cache/unetkit (never in the dataset, which may be read-only or shared), and is written whole into a
temporary folder that is renamed into place: a run stopped half-way leaves no half-painted set.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

from ...errors import DataError
from ...viz.palette import voc_palette
from .rasterise import rasterise
from .regions import Annotations

CACHE_VERSION = 1   # raise when rasterise.py's rule changes: older paintings are then not reused


def cache_root() -> Path:
    if os.environ.get("UNETKIT_CACHE"):
        return Path(os.environ["UNETKIT_CACHE"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "unetkit"


def cache_key(sources: list[Path], images_dir: Path, settings: dict) -> str:
    """The hash of a reading: the export files as they are now, where the images are, how read (the painted
    set's folder adds the images the export found there and their sizes: an image added later is painted)."""
    described = [[str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns] for p in sources]
    folder = [str(images_dir.resolve()), images_dir.stat().st_mtime_ns if images_dir.is_dir() else 0]   # a file added
    text = json.dumps([CACHE_VERSION, described, folder, settings], sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def unique_names(annotations: Annotations) -> list[str]:
    """A sample name per image: its stem; where stems repeat (a.jpg and a.png, one name in two folders) its
    whole path with folders joined by '__', and a count after the second of the very same entry."""
    stems = Counter(image.name for image in annotations.images)
    names: list[str] = []
    for image in annotations.images:
        name = image.name if stems[image.name] == 1 else image.file_name.replace("\\", "/").replace("/", "__")
        count = names.count(name) + sum(n.startswith(f"{name}~") for n in names)
        names.append(name if not count else f"{name}~{count + 1}")
    return names


def painted_masks(annotations: Annotations, key: str, crowd_as_ignore: bool, unannotated: int) -> dict[str, Path]:
    """Sample name -> its label PNG (palette mode: the values are class ids, 255 ignore), painted now or
    found from an earlier run with the same key."""
    names = unique_names(annotations)
    found = [[image.file_name, str(image.path), image.width, image.height] for image in annotations.images]
    folder = cache_root() / "annotations" / hashlib.sha1(json.dumps([key, found]).encode()).hexdigest()[:16]
    masks = {name: folder / f"{name}.png" for name in names}
    if not (folder / "done").is_file() or not all(mask.is_file() for mask in masks.values()):
        shutil.rmtree(folder, ignore_errors=True)   # a set someone emptied: painted again
        _paint(annotations, names, folder, crowd_as_ignore, unannotated)
    return masks


def _paint(annotations: Annotations, names: list[str], folder: Path, crowd_as_ignore: bool, unannotated: int) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        palette = voc_palette().astype(np.uint8).reshape(-1).tolist()
        class_ids = annotations.class_ids()
        for name, image in zip(names, annotations.images, strict=True):
            label = rasterise(image, class_ids, crowd_as_ignore, unannotated)
            png = Image.fromarray(label, mode="P")
            png.putpalette(palette)
            png.save(staging / f"{name}.png", optimize=False, compress_level=1)
        (staging / "done").write_text(str(annotations.source))
        staging.rename(folder)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        if (folder / "done").is_file():   # another process (a DDP rank) painted the same set meanwhile
            return
        raise DataError(f"{folder}: cannot write the painted label maps ({error.strerror or error}); set "
                        f"UNETKIT_CACHE to a writable folder") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
