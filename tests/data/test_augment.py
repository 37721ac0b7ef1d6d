import numpy as np
import pytest
import torch

from unetkit.config import load_config
from unetkit.data.augment import (
    GridElastic,
    augment,
    build_augmentation,
    displacement_maps,
)


def _pipeline(*overrides):
    config = load_config(None, ["data.root=/x", "augment.brightness=0", "augment.contrast=0", "augment.gamma=0",
                                *overrides])
    return build_augmentation(config.augment)


def _checkerboard(size=96, square=12, channels=3):
    rows, cols = np.mgrid[0:size, 0:size]
    label = (((rows // square) + (cols // square)) % 2).astype(np.uint8)
    image = np.repeat((label * 200 + 20)[..., None], channels, axis=2).astype(np.uint8)
    return image, label


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("elastic", ["grid", "smooth"])
def test_geometric_augmentation_keeps_image_mask_and_weights_aligned(elastic, channels):
    """A deformed checkerboard mask must still match the deformed image's edges (and the weights the mask)."""
    pipeline = _pipeline(f"augment.elastic={elastic}", "augment.elastic_probability=1.0")
    image, label = _checkerboard(channels=channels)
    weights = (label.astype(np.float32) + 1.0) * 3.0
    for seed in range(8):
        out_image, out_label, out_weights = augment(pipeline, image, label, seed, weights)
        assert out_image.shape == image.shape
        bright = out_image[..., 0] > 120
        # away from edges (uniform 3x3 label neighbourhood), interpolation cannot blur: must agree exactly
        from scipy import ndimage
        uniform = ndimage.minimum_filter(out_label, 3) == ndimage.maximum_filter(out_label, 3)
        agreement = (bright == (out_label == 1))[uniform].mean()
        assert uniform.mean() > 0.5 and agreement > 0.995, (seed, agreement)
        assert set(np.unique(out_label)) <= {0, 1}  # nearest-neighbour for labels: no blended values
        assert np.array_equal(out_weights, (out_label.astype(np.float32) + 1.0) * 3.0)


def test_grid_elastic_is_the_paper_deformation():
    """Displacements of a 3x3 grid with std 10 px, bicubic to full size: smooth, of that magnitude, and deforming."""
    rng = np.random.default_rng(0)
    coarse = rng.normal(0, 10, (2, 3, 3)).astype(np.float32)
    map_x, map_y = displacement_maps(coarse, 90, 90)
    columns = np.arange(90, dtype=np.float32)
    dx = map_x - columns
    assert np.abs(np.diff(dx, axis=1)).max() < 2.0  # smooth: neighbours move almost together
    assert 2 < np.abs(dx).max() < 60
    transform = GridElastic(3, 10.0, p=1.0)
    transform.set_random_seed(1) if hasattr(transform, "set_random_seed") else None
    image, label = _checkerboard(90)
    pipeline = _pipeline("augment.elastic=grid", "augment.elastic_probability=1.0", "augment.flips=false",
                         "augment.rotate90=false", "augment.rotate_degrees=0", "augment.scale=0")
    _, deformed, _ = augment(pipeline, image, label, 3)
    assert (deformed != label).mean() > 0.02  # it actually moved pixels


def test_natural_image_augmentation_letterboxes_whole_images_with_grey(tiny_config):
    """The VOC report's pipeline: whole image to the patch size, grey padding, ignored labels there."""
    import dataclasses

    from unetkit.data import PatchDataset
    from unetkit.data.dataset import Sample
    from unetkit.models import Normalization
    augment = dataclasses.replace(tiny_config.augment, letterbox=True, pad_value=128, scale_range=[0.5, 2.0],
                                  hue=0.1, saturation=0.7, value=0.3, vertical_flips=False, rotate90=False,
                                  rotate_degrees=0.0, brightness=0.0, contrast=0.0, gamma=0.0, enabled=False)
    image = np.full((30, 60, 3), 10, np.uint8)
    label = np.ones((30, 60), np.uint8)
    sample = Sample("wide", image, label, None, None)
    dataset = PatchDataset([sample], 40, 4, Normalization((0.0,) * 3, (1.0 / 255,) * 3),
                           build_augmentation(augment, 40, 3), whole_images=True)
    pixels, labels = dataset[0]
    assert pixels.shape == (3, 40, 40) and labels.shape == (40, 40)
    assert (labels[:10] == 255).all() and (labels[-10:] == 255).all() and (labels[10:30] == 1).all()
    assert torch.allclose(pixels[:, 0, 0], torch.full((3,), 128.0))  # grey, not mirrored content
    full = build_augmentation(dataclasses.replace(augment, enabled=True), 40, 3)
    names = [type(t).__name__ for t in full.transforms]
    assert names[:2] == ["LongestMaxSize", "PadIfNeeded"] and "VerticalFlip" not in names
    assert "HueSaturationValue" in names and "Affine" in names
    affine = next(t for t in full.transforms if type(t).__name__ == "Affine")
    assert affine.fill == 128 and affine.fill_mask == 255
