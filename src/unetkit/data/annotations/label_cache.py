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
    """The hash naming one painted set: the export files as they are now, where the images are, how read."""
    described = [[str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns] for p in sources]
    text = json.dumps([CACHE_VERSION, described, str(images_dir.resolve()), settings], sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def unique_names(annotations: Annotations) -> list[str]:
    """A sample name per image: its stem, or its path with folders joined by '__' where stems repeat."""
    stems = [image.name for image in annotations.images]
    repeated = {stem for stem in stems if stems.count(stem) > 1}
    return [image.name if image.name not in repeated else
            str(Path(image.file_name).with_suffix("")).replace("\\", "/").replace("/", "__")
            for image in annotations.images]


def painted_masks(annotations: Annotations, key: str, crowd_as_ignore: bool, unannotated: int) -> dict[str, Path]:
    """Sample name -> its label PNG (palette mode: the values are class ids, 255 ignore), painted now or
    found from an earlier run with the same key."""
    folder = cache_root() / "annotations" / key
    names = unique_names(annotations)
    if not (folder / "done").is_file():
        _paint(annotations, names, folder, crowd_as_ignore, unannotated)
    return {name: folder / f"{name}.png" for name in names}


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
        if folder.exists():   # another process painted the same set meanwhile
            shutil.rmtree(staging)
            return
        staging.rename(folder)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise DataError(f"{folder}: cannot write the painted label maps ({error.strerror or error}); set "
                        f"UNETKIT_CACHE to a writable folder") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
