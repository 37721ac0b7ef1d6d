"""Read and validate images, label masks and region-of-interest masks.

Every reader returns plain numpy arrays and raises DataError naming the file on any problem, so a
bad file never surfaces as a traceback from deep inside PIL or tifffile.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import DataError
from ..labels import IGNORE_INDEX
from ..viz.palette import VOC_IGNORE_COLOUR, voc_palette
from .masks import binary_labels, colour_labels, index_labels


class NotAnImage(DataError):
    """The bytes are no image format PIL knows."""


class ImageTooLarge(DataError):
    """The image has more pixels than allowed (a decompression bomb, or simply too big to serve)."""


EXIF_ORIENTATION = 0x0112
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp", ".ppm", ".pgm")


def is_file(path: Path) -> bool:
    """Path.is_file, with a path the system refuses (too long, not encodable) a DataError naming it."""
    try:
        return path.is_file()
    except (OSError, ValueError) as error:   # ENAMETOOLONG, embedded NUL, ...
        raise DataError(f"{path}: {getattr(error, 'strerror', None) or error}") from None


def is_folder(path: Path) -> bool:
    """Path.is_dir, with the same care as is_file."""
    try:
        return path.is_dir()
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: {getattr(error, 'strerror', None) or error}") from None


def _open_pil(path: Path, page: int | None) -> Image.Image:
    """Open one page of an image file with PIL (multi-page TIFF pages are selected with `page`),
    upright as its EXIF orientation says (as photo viewers show it, and as it was annotated)."""
    if not is_file(path):
        raise DataError(f"{path}: file not found")
    try:
        # from memory, not the path: Pillow 13 applies a TIFF's orientation tag when it decodes from a
        # stream but drops it unapplied when it maps an uncompressed file (fuzzing found the two differ)
        image = Image.open(io.BytesIO(path.read_bytes()))
        if page is not None:
            try:
                image.seek(page)
            except EOFError:
                raise DataError(f"{path}: has no page {page} (multi-page file is shorter)") from None
        image.load()
        return _upright(image)
    except Image.DecompressionBombError as error:
        raise ImageTooLarge(f"{path}: too many pixels ({error}); a decompression bomb or an image to cut "
                            f"into pieces first") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
        raise DataError(f"{path}: unreadable image ({error.__class__.__name__}: {error})") from None


def _upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation tag says (phones store photos sideways plus a tag)."""
    try:
        orientation = image.getexif().get(EXIF_ORIENTATION, 1)
    except Exception:  # noqa: BLE001 -- a malformed EXIF block: the pixels are still good, use them as stored
        return image
    return ImageOps.exif_transpose(image) if orientation not in (None, 1) else image


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
    return image_array(_open_pil(path, page), channels, path)


def decode_image(data: bytes, channels: int = 3, source: str = "upload", max_pixels: int | None = None) -> np.ndarray:
    """An image file's bytes (an upload) as uint8 (H, W, channels). NotAnImage when no image format
    is recognised, ImageTooLarge above `max_pixels` (checked on the header, before decoding),
    DataError when the file is corrupt or truncated."""
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        raise ImageTooLarge(f"{source}: too many pixels ({error})") from None
    except (UnidentifiedImageError, ValueError) as error:
        raise NotAnImage(f"{source}: not an image file ({error.__class__.__name__})") from None
    except (OSError, SyntaxError, EOFError) as error:   # a known format whose header is broken
        raise DataError(f"{source}: unreadable image ({error.__class__.__name__}: {error})") from None
    if max_pixels is not None and image.width * image.height > max_pixels:
        raise ImageTooLarge(f"{source}: {image.width}x{image.height} is {image.width * image.height:,} pixels, "
                            f"more than the limit of {max_pixels:,}")
    try:
        image.load()
        image = _upright(image)
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as error:
        raise DataError(f"{source}: unreadable image ({error.__class__.__name__}: {error})") from None
    return image_array(image, channels, Path(source))


def image_array(image: Image.Image, channels: int, path: Path) -> np.ndarray:
    """A loaded PIL image as uint8 (H, W, channels): 16-bit and float scaled, grey <-> RGB converted."""
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


def _grey_plane(image: Image.Image) -> np.ndarray:
    """One (H, W) plane of a mask image: 16-bit and float values as they are, colours by their
    brightest channel (a red-on-black mask is binary too)."""
    if image.mode in ("I;16", "I;16B", "I", "F"):
        return np.asarray(image).astype(np.int64)
    if image.mode in ("RGB", "RGBA", "P", "PA"):
        return np.asarray(image.convert("RGB")).max(axis=2).astype(np.int64)
    return np.asarray(image.convert("L")).astype(np.int64)


def read_binary_mask(path: str | Path, page: int | None = None) -> np.ndarray:
    """Read a binary mask as uint8 (H, W) in {0, 1}: 0/1, 0/255 and 1-bit masks alike (data/masks.py)."""
    path = Path(path)
    return binary_labels(_grey_plane(_open_pil(path, page)), path)


def read_index_mask(path: str | Path, num_classes: int, page: int | None = None,
                    ignore_index: int = IGNORE_INDEX, colors: list | None = None) -> np.ndarray:
    """Read class ids as uint8 (H, W): palette indices, grey values, or RGB colours through `colors`
    (the classes' colours in order; VOC's palette by default). The file's void value `ignore_index`
    becomes 255; anything else outside the classes is a DataError saying what to set."""
    path = Path(path)
    image = _open_pil(path, page)
    if image.mode in ("P", "PA"):
        return index_labels(np.asarray(image.convert("P") if image.mode == "PA" else image).astype(np.int64), path,
                            num_classes, ignore_index, palette=True)
    if image.mode in ("RGB", "RGBA"):
        rgb = np.asarray(image.convert("RGB"))
        if not (np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2])):
            table = np.asarray(colors, dtype=np.int64) if colors else voc_palette()[:max(num_classes, 1)]
            return colour_labels(rgb, path, table, num_classes, VOC_IGNORE_COLOUR)   # void unless a class has it
        return index_labels(rgb[..., 0].astype(np.int64), path, num_classes, ignore_index)
    return index_labels(_grey_plane(image), path, num_classes, ignore_index)


def read_mask(path: str | Path, mode: str, num_classes: int, page: int | None = None,
              ignore_index: int = IGNORE_INDEX, colors: list | None = None) -> np.ndarray:
    """Read a label mask in the configured mode ('binary' or 'index'); 255 marks ignored pixels."""
    if mode == "binary":
        return read_binary_mask(path, page)
    return read_index_mask(path, num_classes, page, ignore_index, colors)


@dataclass(frozen=True)
class MaskReading:
    """How a dataset's masks are read: data.mask, data.num_classes, data.ignore_index, data.colors."""
    mode: str = "binary"
    num_classes: int = 2
    ignore_index: int = IGNORE_INDEX     # the files' void value (255 inside unetkit whatever it is)
    colors: tuple = ()

    @classmethod
    def from_data(cls, data) -> MaskReading:
        """From a DataConfig, or the `data` section of a stored run config (a dict)."""
        get = data.get if isinstance(data, dict) else lambda key, default=None: getattr(data, key, default)
        num_classes = get("num_classes", 2)
        mode = get("mask", None) or ("binary" if num_classes == 2 else "index")
        return cls(mode, num_classes, get("ignore_index", IGNORE_INDEX),
                   tuple(tuple(c) for c in get("colors", None) or ()))

    def read(self, path: str | Path, page: int | None = None) -> np.ndarray:
        return read_mask(path, self.mode, self.num_classes, page, self.ignore_index, list(self.colors) or None)


def read_roi(path: str | Path, page: int | None = None) -> np.ndarray:
    """Read a region-of-interest mask (e.g. DRIVE's field of view) as bool (H, W)."""
    return read_binary_mask(path, page).astype(bool)


def count_pages(path: str | Path) -> int:
    """Number of pages of a (possibly multi-page) image file."""
    image = _open_pil(Path(path), None)
    return getattr(image, "n_frames", 1)


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and is_file(path)
