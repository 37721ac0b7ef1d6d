"""Training images past data.cache_mb are decoded as patches need them (data/cache.py): the same
patches as fully decoded samples, each decoded once while the cache holds them, memory bounded."""
import numpy as np
import pytest

from unetkit.config import load_config
from unetkit.data import PatchDataset, compute_normalization, find_samples
from unetkit.data.cache import MB, DecodedCache, LazySample, load_training_samples

from ..conftest import tiny_overrides


def _samples(root, cache_mb, border=None):
    config = load_config(None, [*tiny_overrides(root), f"data.cache_mb={cache_mb}"])
    return load_training_samples(find_samples(config.data, "train"), config.data, border=border)


def test_samples_that_fit_are_decoded_now_and_the_rest_lazily(synthetic_root):
    eager = _samples(synthetic_root, 64)
    lazy = _samples(synthetic_root, 0)
    assert not any(isinstance(s, LazySample) for s in eager)
    assert all(isinstance(s, LazySample) for s in lazy) and len(lazy) == len(eager) == 4
    for a, b in zip(eager, lazy, strict=True):
        assert a.name == b.name
        np.testing.assert_array_equal(a.image, b.image)
        np.testing.assert_array_equal(a.label, b.label)
        np.testing.assert_array_equal(a.roi, b.roi)


@pytest.mark.parametrize("border", [None, (2, 10.0, 5.0)])
def test_lazy_samples_give_the_same_patches(synthetic_root, border):
    eager = _samples(synthetic_root, 64, border)
    lazy = _samples(synthetic_root, 0, border)
    normalization = compute_normalization(eager)
    assert compute_normalization(lazy) == normalization
    datasets = [PatchDataset(samples, 32, 12, normalization, seed=3, foreground_fraction=0.5)
                for samples in (eager, lazy)]
    for dataset in datasets:
        dataset.set_epoch(2)
    for index in range(12):
        for a, b in zip(datasets[0][index], datasets[1][index], strict=True):
            assert a.equal(b)
    assert len(datasets[1][0]) == (3 if border else 2)           # the weight map comes along


def test_the_cache_keeps_the_most_recent_up_to_its_size():
    cache = DecodedCache(3 * 1000)
    decode = {key: (lambda key=key: (np.full(1000, key, np.uint8),)) for key in range(5)}
    for key in (0, 1, 2, 0, 1, 2):
        cache.get(key, decode[key])
    assert cache.decodes == 3                                   # all fit: each decoded once
    cache.get(3, decode[3])                                     # 0 is the least recently used: dropped
    assert list(cache.entries) == [1, 2, 3] and cache.bytes == 3000
    cache.get(0, decode[0])
    assert cache.decodes == 5
    tiny = DecodedCache(10)
    for key in (4, 4, 4):
        assert tiny.get(key, decode[key])[0][0] == 4
    assert tiny.decodes == 1 and len(tiny.entries) == 1         # the newest stays, whatever its size


def test_an_epoch_decodes_each_image_once_when_the_cache_holds_them(synthetic_root):
    lazy = _samples(synthetic_root, 0)
    cache = lazy[0]._cache
    cache.max_bytes = 64 * MB                                  # room for all four, as a worker would have
    dataset = PatchDataset(lazy, 32, 40, compute_normalization(lazy), seed=0)
    before = cache.decodes
    for index in range(len(dataset)):
        dataset[index]
    assert cache.decodes - before == 0                           # decoded already by the statistics above
    assert cache.decodes == 4
