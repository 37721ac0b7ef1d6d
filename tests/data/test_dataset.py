import numpy as np
import torch

from unetkit.config import load_config
from unetkit.data import PatchDataset, compute_normalization, find_samples, load_samples
from unetkit.data.augment import augment, build_augmentation


def test_patches_are_reproducible_and_vary_by_epoch(tiny_config):
    samples = load_samples(find_samples(tiny_config.data, "train"), tiny_config.data)
    normalization = compute_normalization(samples)
    make = lambda: PatchDataset(samples, 32, 8, normalization, build_augmentation(tiny_config.augment), seed=3)
    first, second = make(), make()
    image_a, label_a = first[5]
    image_b, label_b = second[5]
    assert torch.equal(image_a, image_b) and torch.equal(label_a, label_b)
    second.set_epoch(1)
    assert not torch.equal(second[5][0], image_a)
    assert image_a.shape == (3, 32, 32) and label_a.dtype == torch.int64


def test_normalization_is_zero_mean_unit_std(tiny_config):
    samples = load_samples(find_samples(tiny_config.data, "train"), tiny_config.data)
    normalization = compute_normalization(samples)
    pixels = torch.cat([normalization.apply(s.image)[:, torch.from_numpy(s.roi)] for s in samples], dim=1)
    assert torch.allclose(pixels.mean(1), torch.zeros(3), atol=1e-3)
    assert torch.allclose(pixels.std(1), torch.ones(3), atol=1e-2)


def test_small_images_are_mirror_padded_to_patch(tiny_config):
    samples = load_samples(find_samples(tiny_config.data, "train"), tiny_config.data)
    dataset = PatchDataset(samples, 100, 2, compute_normalization(samples))
    image, label = dataset[0]
    assert image.shape == (3, 100, 100) and label.shape == (100, 100)


def test_augmentation_keeps_image_and_mask_aligned():
    """Label a bright square; after any geometric augmentation the label must still cover bright pixels."""
    config = load_config(None, ["data.root=/x", "augment.elastic_probability=1.0", "augment.brightness=0",
                                "augment.contrast=0", "augment.gamma=0"])
    pipeline = build_augmentation(config.augment)
    image = np.zeros((64, 64, 3), np.uint8)
    image[20:44, 16:40] = 200
    label = (image[..., 0] > 0).astype(np.uint8)
    for seed in range(10):
        out_image, out_label = augment(pipeline, image, label, seed)
        bright = out_image[..., 0] > 100
        agreement = (bright == (out_label == 1)).mean()
        assert agreement > 0.97, (seed, agreement)
        assert set(np.unique(out_label)) <= {0, 1}  # nearest-neighbour for labels: no blended values
