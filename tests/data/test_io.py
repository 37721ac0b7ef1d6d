import numpy as np
import pytest
import tifffile
from PIL import Image

from unetkit.data.io import read_binary_mask, read_image, read_index_mask, read_roi
from unetkit.errors import DataError

from ..conftest import write_png


@pytest.fixture
def stripes():
    mask = np.zeros((16, 20), np.uint8)
    mask[:, 5:9] = 255
    return mask


@pytest.mark.parametrize("suffix, mode", [(".png", "L"), (".png", "1"), (".png", "P"), (".png", "RGB"),
                                          (".gif", "L"), (".gif", "P"), (".tif", "L"), (".tif", "RGB"),
                                          (".jpg", "L"), (".jpg", "RGB")])
def test_binary_masks_in_every_encoding(tmp_path, stripes, suffix, mode):
    image = Image.fromarray(stripes)
    if mode == "P":
        image = image.convert("P")
    else:
        image = image.convert(mode)
    path = tmp_path / f"mask{suffix}"
    image.save(path)
    mask = read_binary_mask(path)
    assert mask.dtype == np.uint8 and set(np.unique(mask)) == {0, 1}
    # JPEG blurs edges a little; the bulk must still match exactly
    agreement = (mask == (stripes > 127)).mean()
    assert agreement > (0.9 if suffix == ".jpg" else 0.999)


def test_index_mask_palette_and_ignore(tmp_path):
    labels = np.array([[0, 1, 2], [255, 2, 1]], np.uint8)
    image = Image.fromarray(labels, mode="P")
    image.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [255, 255, 255] * 253)
    image.save(tmp_path / "m.png")
    assert np.array_equal(read_index_mask(tmp_path / "m.png", 3), labels)


def test_index_mask_rejects_values_outside_classes(tmp_path):
    path = write_png(tmp_path / "m.png", np.array([[0, 1], [7, 255]], np.uint8))
    with pytest.raises(DataError, match=r"m\.png: label values 7 outside classes 0..2"):
        read_index_mask(path, 3)


def test_image_channels_and_16_bit(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 255, (8, 9, 3), dtype=np.uint8)
    write_png(tmp_path / "rgb.png", rgb)
    assert read_image(tmp_path / "rgb.png", 3).shape == (8, 9, 3)
    assert read_image(tmp_path / "rgb.png", 1).shape == (8, 9, 1)
    gray16 = (np.arange(72, dtype=np.uint16).reshape(8, 9) * 900)
    tifffile.imwrite(tmp_path / "g16.tif", gray16)
    image = read_image(tmp_path / "g16.tif", 3)
    assert image.shape == (8, 9, 3) and image.dtype == np.uint8
    assert image[..., 0].max() == gray16.max() // 257


def test_multipage_tiff_pages(tmp_path):
    stack = np.stack([np.full((6, 6), v, np.uint8) for v in (0, 255, 0)])
    tifffile.imwrite(tmp_path / "stack.tif", stack, photometric="minisblack")
    assert read_roi(tmp_path / "stack.tif", page=1).all()
    assert not read_roi(tmp_path / "stack.tif", page=2).any()
    with pytest.raises(DataError, match="has no page 5"):
        read_roi(tmp_path / "stack.tif", page=5)


def test_unreadable_and_missing_files_name_the_file(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image at all")
    with pytest.raises(DataError, match=r"broken\.png: unreadable image"):
        read_image(broken)
    with pytest.raises(DataError, match=r"nothere\.png: file not found"):
        read_image(tmp_path / "nothere.png")
