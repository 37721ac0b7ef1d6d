"""Training images decoded once: all of them in memory when they fit in data.cache_mb, otherwise as
their patches need them, each process (each DataLoader worker) keeping the most recently used ones up
to data.cache_mb, so an epoch does not decode every JPEG again for every patch.

A lazy sample is a Sample whose image, label and weight map are read through the cache; PatchDataset
and the statistics over the training set (normalisation, class counts) use it unchanged.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from ..config import DataConfig
from ..labels import IGNORE_INDEX
from .border_weights import border_weight_map
from .dataset import Sample, attach_weight_maps, load_sample
from .formats import SampleFiles

log = logging.getLogger(__name__)

MB = 1 << 20


class DecodedCache:
    """Least-recently-used decoded samples up to `max_bytes` (the newest one is kept whatever its size,
    so consecutive reads of one sample decode it once). Per process: a forked worker has its own."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.entries: OrderedDict[int, tuple] = OrderedDict()
        self.bytes = 0
        self.decodes = 0   # how many times a sample was decoded (tests, logs)

    def get(self, key: int, decode: Callable[[], tuple]) -> tuple:
        if key in self.entries:
            self.entries.move_to_end(key)
            return self.entries[key]
        value = decode()
        self.decodes += 1
        self.entries[key] = value
        self.bytes += _nbytes(value)
        while self.bytes > self.max_bytes and len(self.entries) > 1:
            _, dropped = self.entries.popitem(last=False)
            self.bytes -= _nbytes(dropped)
        return value


def _nbytes(value: tuple) -> int:
    return sum(array.nbytes for array in value if isinstance(array, np.ndarray))


class LazySample(Sample):
    """A training sample decoded on use through a DecodedCache (with its border weight map, when the
    loss needs one, computed at the same time)."""

    def __init__(self, index: int, files: SampleFiles, data: DataConfig, ignore_index: int, cache: DecodedCache,
                 border: tuple[int, float, float] | None = None):
        self.name, self.files = files.name, files
        self._index, self._data, self._ignore_index, self._cache = index, data, ignore_index, cache
        self._border = border   # (num_classes, w0, sigma) of the paper's weight map

    def _decoded(self) -> tuple:
        return self._cache.get(self._index, self._decode)

    def _decode(self, sample: Sample | None = None) -> tuple:
        """The arrays the cache holds for this sample, decoded now unless `sample` is its decoded form."""
        sample = sample or load_sample(self.files, self._data, self._ignore_index)
        weights = None
        if self._border is not None:
            num_classes, w0, sigma = self._border
            weights = border_weight_map(sample.label, num_classes, w0=w0, sigma=sigma,
                                        ignore_index=self._ignore_index)
        return sample.image, sample.label, sample.roi, weights

    @property
    def image(self) -> np.ndarray:
        return self._decoded()[0]

    @property
    def label(self) -> np.ndarray | None:
        return self._decoded()[1]

    @property
    def roi(self) -> np.ndarray | None:
        return self._decoded()[2]

    @property
    def weights(self) -> np.ndarray | None:
        return self._decoded()[3]


def load_training_samples(files: list[SampleFiles], data: DataConfig, ignore_index: int = IGNORE_INDEX,
                          border: tuple[int, float, float] | None = None) -> list[Sample]:
    """The training samples, decoded now while they fit in data.cache_mb; past it, lazy samples sharing
    one cache of that size. `border`: (num_classes, w0, sigma) when the loss needs weight maps."""
    limit = data.cache_mb * MB
    samples, total = [], 0
    for files_of_one in files:
        sample = load_sample(files_of_one, data, ignore_index)
        samples.append(sample)
        total += sample.image.nbytes + (sample.label.nbytes if sample.label is not None else 0)
        if total > limit:
            break
    else:
        if border is not None:
            attach_weight_maps(samples, *border, ignore_index)
        return samples
    cache = DecodedCache(limit)
    log.info("the training images decode to more than data.cache_mb=%d MB: they are decoded as patches need "
             "them, each process keeping the most recently used up to %d MB", data.cache_mb, data.cache_mb)
    lazy = [LazySample(index, files_of_one, data, ignore_index, cache, border)
            for index, files_of_one in enumerate(files)]
    for index, decoded in enumerate(samples):   # the images read so far start the cache, not read again
        cache.get(index, lambda decoded=decoded, index=index: lazy[index]._decode(decoded))
    return lazy
