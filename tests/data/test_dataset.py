import torch

from unetkit.data import PatchDataset, compute_normalization, find_samples, load_samples
from unetkit.data.augment import build_augmentation


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


def test_weight_maps_travel_with_patches(tiny_config):
    from unetkit.data.dataset import attach_weight_maps
    samples = load_samples(find_samples(tiny_config.data, "train"), tiny_config.data)
    attach_weight_maps(samples, 2, w0=10, sigma=5)
    dataset = PatchDataset(samples, 32, 4, compute_normalization(samples), build_augmentation(tiny_config.augment))
    image, label, weights = dataset[0]
    assert weights.shape == label.shape and weights.dtype == torch.float32
    assert (weights[label == 255] == 0).all() and (weights[label != 255] > 0).all()


def test_worker_processes_see_the_same_patches(tiny_config):
    from torch.utils.data import DataLoader
    samples = load_samples(find_samples(tiny_config.data, "train"), tiny_config.data)
    dataset = PatchDataset(samples, 32, 8, compute_normalization(samples), build_augmentation(tiny_config.augment))
    single = [b[0] for b in DataLoader(dataset, batch_size=4)]
    parallel = [b[0] for b in DataLoader(dataset, batch_size=4, num_workers=2)]
    assert all(torch.equal(a, b) for a, b in zip(single, parallel)) and len(single) == 2
