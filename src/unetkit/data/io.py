"""Read and validate images, label masks and region-of-interest masks.

Every reader returns plain numpy arrays and raises DataError naming the file on any problem, so a
bad file never surfaces as a traceback from deep inside PIL or tifffile.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import DataError
from ..labels import IGNORE_INDEX

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp", ".ppm", ".pgm")


def _open_pil(path: Path, page: int | None) -> Image.Image:
    """Open one page of an image file with PIL (multi-page TIFF pages are selected with `page`)."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        image = Image.open(path)
        if page is not None:
            try:
                image.seek(page)
            except EOFError:
                raise DataError(f"{path}: has no page {page} (multi-page file is shorter)") from None
        image.load()
        return image
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise DataError(f"{path}: unreadable image ({error.__class__.__name__}: {error})") from None


def _to_uint8(array: np.ndarray, path: Path) -> np.ndarray:
    """Bring 16-bit, float or bool pixel data into 0..255 uint8 (scaled by the type's range)."""
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return array.astype(np.uint8) * 255
    if array.dtype == np.uint16:
        return (array // 257).astype(np.uint8)
    if np.issubdtype(array.dtype, np.floating):
        top = 1.0 if array.max(initial=0.0) <= 1.0 else 255.0
        return np.clip(array / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if np.issubdtype(array.dtype, np.integer):
        return np.clip(array, 0, 255).astype(np.uint8)
    raise DataError(f"{path}: unsupported pixel type {array.dtype}")


def read_image(path: str | Path, channels: int = 3, page: int | None = None) -> np.ndarray:
    """Read an image as uint8 (H, W, channels), converting grayscale <-> RGB as asked."""
    path = Path(path)
    image = _open_pil(path, page)
    if image.mode in ("I;16", "I;16B", "I", "F"):
        array = _to_uint8(np.asarray(image), path)
        array = array[..., None]
    elif image.mode in ("1", "L", "P", "LA", "PA", "RGB", "RGBA", "CMYK", "YCbCr"):
        converted = image.convert("L" if channels == 1 else "RGB")
        array = np.array(converted)  # writable, so tensors can share its memory
    else:
        raise DataError(f"{path}: unsupported image mode {image.mode}")
    if array.ndim == 2:
        array = array[..., None]
    if array.shape[2] != channels:
        array = np.repeat(array[..., :1], channels, axis=2) if channels == 3 else array.mean(2, keepdims=True).astype(np.uint8)
    return np.ascontiguousarray(array)


def _mask_plane(path: Path, page: int | None, keep_palette_indices: bool) -> np.ndarray:
    """Decode a mask file to one (H, W) plane of integers."""
    image = _open_pil(path, page)
    if image.mode == "P" and keep_palette_indices:
        return np.asarray(image).astype(np.int64)
    if image.mode in ("I;16", "I;16B", "I", "F"):
        return np.asarray(image).astype(np.int64)
    if image.mode in ("RGB", "RGBA", "P", "PA"):
        rgb = np.asarray(image.convert("RGB")).astype(np.int64)
        if keep_palette_indices and not (np.all(rgb[..., 0] == rgb[..., 1]) and np.all(rgb[..., 1] == rgb[..., 2])):
            raise DataError(f"{path}: colour mask with differing R, G, B; index masks must be "
                            f"grayscale or palette PNGs holding class ids")
        return rgb.max(axis=2) if not keep_palette_indices else rgb[..., 0]
    return np.asarray(image.convert("L")).astype(np.int64)


def read_binary_mask(path: str | Path, page: int | None = None) -> np.ndarray:
    """Read a binary mask: any value > 127 (or set bit of a 1-bit image) is foreground. uint8 (H, W) in {0, 1}."""
    path = Path(path)
    plane = _mask_plane(path, page, keep_palette_indices=False)
    if plane.max(initial=0) == 1 and _open_pil(path, page).mode == "1":
        plane = plane * 255
    return (plane > 127).astype(np.uint8)


def read_index_mask(path: str | Path, num_classes: int, page: int | None = None,
                    ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Read class ids (palette indices or gray values); `ignore_index` = ignore. uint8 (H, W).

    Raises DataError when a value is neither a class id nor the ignore label.
    """
    path = Path(path)
    plane = _mask_plane(path, page, keep_palette_indices=True)
    bad = np.unique(plane[(plane >= num_classes) & (plane != ignore_index)])
    if bad.size:
        shown = ", ".join(str(v) for v in bad[:5]) + (" ..." if bad.size > 5 else "")
        raise DataError(f"{path}: label values {shown} outside classes 0..{num_classes - 1} "
                        f"({ignore_index} = ignore)")
    return plane.astype(np.uint8)


def read_mask(path: str | Path, mode: str, num_classes: int, page: int | None = None,
              ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Read a label mask in the configured mode ('binary' or 'index')."""
    if mode == "binary":
        return read_binary_mask(path, page)
    return read_index_mask(path, num_classes, page, ignore_index)


def read_roi(path: str | Path, page: int | None = None) -> np.ndarray:
    """Read a region-of-interest mask (e.g. DRIVE's field of view) as bool (H, W)."""
    return read_binary_mask(path, page).astype(bool)


def count_pages(path: str | Path) -> int:
    """Number of pages of a (possibly multi-page) image file."""
    image = _open_pil(Path(path), None)
    return getattr(image, "n_frames", 1)


def is_image_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES
