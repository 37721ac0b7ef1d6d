"""Fuzz the image, mask and upload readers (issue 15): any bytes under any name give a correct array
or a DataError naming the file, never another exception."""
import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from unetkit.data.io import ImageTooLarge, decode_image, read_image, read_mask
from unetkit.errors import DataError

from ..fuzzing import fuzz

MODES = ["1", "L", "P", "RGB", "RGBA", "LA", "CMYK", "I;16", "I", "F"]
FORMATS = {"png": "PNG", "jpg": "JPEG", "tif": "TIFF", "bmp": "BMP", "gif": "GIF", "ppm": "PPM"}
PLAYS = {  # which modes each format can store
    "PNG": {"1", "L", "P", "RGB", "RGBA", "LA", "I;16"}, "JPEG": {"L", "RGB", "CMYK"},
    "TIFF": {"1", "L", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F"}, "BMP": {"1", "L", "P", "RGB"},
    "GIF": {"L", "P"}, "PPM": {"L", "RGB"},
}


@st.composite
def image_files(draw):
    """(bytes, height, width, format, orientation) of a valid image file of a random mode and size,
    sometimes multi-page, sometimes with an EXIF orientation."""
    fmt = draw(st.sampled_from(sorted(FORMATS)))
    mode = draw(st.sampled_from(sorted(PLAYS[FORMATS[fmt]])))
    height, width = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if mode in ("I;16", "I"):
        image = Image.fromarray(rng.integers(0, 65536, (height, width), dtype=np.uint16))
        if mode == "I":
            image = image.convert("I")
    elif mode == "F":
        image = Image.fromarray(rng.random((height, width), dtype=np.float32))
    else:
        image = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).convert(mode)
    orientation = draw(st.sampled_from([1, 1, 3, 6, 8])) if fmt in ("jpg", "tif", "png") else 1
    buffer = io.BytesIO()
    options = {}
    if orientation != 1:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif
    pages = draw(st.integers(1, 3)) if fmt == "tif" else 1
    if pages > 1:
        options.update(save_all=True, append_images=[image.copy() for _ in range(pages - 1)])
    image.save(buffer, FORMATS[fmt], **options)
    return buffer.getvalue(), height, width, fmt, orientation


def _mutate(draw, data: bytes) -> bytes:
    """Truncate, flip bytes, or insert junk: what a broken download or a bad disk hands over."""
    kind = draw(st.sampled_from(["none", "truncate", "flip", "insert", "empty"]))
    if kind == "truncate":
        return data[:draw(st.integers(0, max(0, len(data) - 1)))]
    if kind == "flip":
        data = bytearray(data)
        for position in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=8)):
            data[position] ^= draw(st.integers(1, 255))
        return bytes(data)
    if kind == "insert":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    if kind == "empty":
        return b""
    return data


def _upright_shape(height, width, orientation):
    return (width, height) if orientation in (5, 6, 7, 8) else (height, width)


@fuzz(150)
@given(file=image_files(), channels=st.sampled_from([1, 3]), suffix=st.sampled_from(["", ".png", ".jpg", ".dat"]))
def test_valid_images_read_upright_whatever_their_name(tmp_path, file, channels, suffix):
    data, height, width, fmt, orientation = file
    path = tmp_path / f"image.{fmt}{suffix}"   # a wrong extension too: the content decides
    path.write_bytes(data)
    array = read_image(path, channels)
    assert array.dtype == np.uint8 and array.shape == (*_upright_shape(height, width, orientation), channels)
    assert np.array_equal(decode_image(data, channels), array)


@fuzz(300)
@given(data=st.data(), channels=st.sampled_from([1, 3]))
def test_broken_images_are_one_data_error(tmp_path, data, channels):
    original, height, width, fmt, orientation = data.draw(image_files())
    broken = _mutate(data.draw, original)
    path = tmp_path / f"broken.{fmt}"
    path.write_bytes(broken)
    for read in (lambda: read_image(path, channels), lambda: decode_image(broken, channels, "upload.bin")):
        try:
            array = read()
        except DataError as error:
            assert ("broken." in str(error) or "upload.bin" in str(error)) and "\n" not in str(error).strip()
            continue
        assert array.dtype == np.uint8 and array.ndim == 3 and array.shape[2] == channels


@fuzz(200)
@given(data=st.binary(max_size=3000))
def test_random_bytes_are_one_data_error(tmp_path, data):
    path = tmp_path / "random.png"
    path.write_bytes(data)
    with pytest.raises(DataError, match="random.png"):
        read_image(path)
    with pytest.raises(DataError):
        decode_image(data)


@fuzz(200)
@given(values=st.lists(st.integers(0, 65535), min_size=1, max_size=64), sixteen_bit=st.booleans(),
       mode=st.sampled_from(["binary", "index"]), num_classes=st.integers(2, 30),
       ignore_index=st.sampled_from([255, 30, 11]), rgb=st.booleans())
def test_masks_give_classes_or_say_which_values_are_wrong(tmp_path, values, sixteen_bit, mode, num_classes,
                                                          ignore_index, rgb):
    plane = np.resize(np.array(values, np.int64), (8, 8))
    if sixteen_bit:
        image = Image.fromarray(plane.astype(np.uint16))
    else:
        grey = (plane % 256).astype(np.uint8)
        image = Image.fromarray(np.stack([grey, grey // 2, grey], axis=2) if rgb else grey)
    path = tmp_path / "mask.png"
    image.save(path)
    ignore_index = max(ignore_index, num_classes)
    try:
        labels = read_mask(path, mode, num_classes, ignore_index=ignore_index)
    except DataError as error:
        assert "mask.png" in str(error) and "\n" not in str(error).strip()
        return
    assert labels.dtype == np.uint8 and labels.shape == (8, 8)
    assert set(np.unique(labels).tolist()) <= set(range(num_classes)) | {255}


@fuzz(20)
@given(height=st.integers(1, 40), width=st.integers(1, 40))
def test_masks_of_another_size_than_their_image_are_refused(tmp_path, height, width):
    """The dataset loader pairs each image with its mask; a size mismatch names both files."""
    from unetkit.config import load_config
    from unetkit.data import find_samples, load_samples
    root = tmp_path / f"d{height}x{width}"
    for split in ("train", "val"):   # a val/ folder: no automatic split, both pairs are training pairs
        for folder in ("images", "masks"):
            (root / split / folder).mkdir(parents=True, exist_ok=True)
    pairs = (("train", "a", (24, 24)), ("train", "b", (height, width)), ("val", "c", (24, 24)))
    for split, name, size in pairs:
        Image.fromarray(np.zeros((24, 24, 3), np.uint8)).save(root / split / "images" / f"{name}.png")
        Image.fromarray(np.zeros(size, np.uint8)).save(root / split / "masks" / f"{name}.png")
    config = load_config(None, [f"data.root={root}"])
    if (height, width) == (24, 24):
        assert len(load_samples(find_samples(config.data, "train"), config.data)) == 2
        return
    with pytest.raises(DataError, match=r"b\.png"):
        load_samples(find_samples(config.data, "train"), config.data)


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb's first bytes)."""
    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    header = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header) & 0xFFFFFFFF)
    return bytes(data)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    bomb = _png_claiming(100_000, 100_000)   # 10 gigapixels
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb)
    with pytest.raises(ImageTooLarge, match="bomb.png: too many pixels"):
        read_image(path)
    with pytest.raises(ImageTooLarge, match="too many pixels|more than the limit"):
        decode_image(bomb, max_pixels=40_000_000)
    with pytest.raises(ImageTooLarge, match="3,000x2,000 is 6,000,000 pixels, more than the limit of 1,000"
                       "|3000x2000 is 6,000,000 pixels, more than the limit of 1,000"):
        decode_image(_png_claiming(3000, 2000), max_pixels=1000)


def test_non_utf8_and_very_long_paths(tmp_path):
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9_\xff.png"))   # Latin-1 bytes: not valid UTF-8
    Image.fromarray(np.full((5, 7, 3), 9, np.uint8)).save(odd, "PNG")
    assert read_image(odd).shape == (5, 7, 3)
    with pytest.raises(DataError, match="File name too long|file not found"):
        read_image(tmp_path / ("x" * 5000 + ".png"))
    with pytest.raises(DataError, match="file not found"):
        read_image(tmp_path / "missing.png")


def test_multipage_tiff_pages_and_exif_rotation(tmp_path):
    pages = [Image.fromarray(np.full((6, 4), value, np.uint8)) for value in (10, 20, 30)]
    pages[0].save(tmp_path / "stack.tif", save_all=True, append_images=pages[1:])
    assert [read_image(tmp_path / "stack.tif", 1, page)[0, 0, 0] for page in range(3)] == [10, 20, 30]
    with pytest.raises(DataError, match="has no page 3"):
        read_image(tmp_path / "stack.tif", 1, 3)
    photo = np.zeros((10, 20, 3), np.uint8)
    photo[0, :] = 255                          # the stored top row ...
    exif = Image.Exif()
    exif[0x0112] = 6                          # ... shown on the right: "rotate 90 degrees clockwise"
    Image.fromarray(photo).save(tmp_path / "phone.png", exif=exif)
    upright = read_image(tmp_path / "phone.png")
    assert upright.shape == (20, 10, 3) and upright[:, -1].min() == 255 and upright[:, 0].max() == 0
