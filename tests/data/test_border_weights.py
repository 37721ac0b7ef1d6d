import numpy as np
import pytest

from unetkit.data.border_weights import (
    border_weight_map,
    class_balance_weights,
    two_nearest_object_distances,
)


def _two_touching_squares():
    labels = np.zeros((40, 60), np.uint8)
    labels[10:30, 10:28] = 1
    labels[10:30, 31:49] = 1   # a 3-pixel gap at columns 28..30
    return labels


def test_weight_peaks_in_the_gap_and_is_w_c_far_away():
    labels = _two_touching_squares()
    weights = border_weight_map(labels, 2, w0=10, sigma=5)
    class_weights = class_balance_weights(labels, 2)
    gap = weights[20, 29]
    assert gap == weights.max() and gap > class_weights[0] + 5
    assert weights[20, 29] > weights[20, 5] and weights[20, 29] > weights[2, 29]
    border = 10 * np.exp(-((np.hypot(10, 10) + np.hypot(10, 31)) ** 2) / 50)
    assert weights[0, 0] == pytest.approx(class_weights[0] + border, abs=1e-4)
    far = np.zeros((200, 200), np.uint8)
    far[:40, :40] = 1
    far[:40, 160:] = 1
    far_weights = border_weight_map(far, 2)
    assert far_weights[190, 100] == pytest.approx(class_balance_weights(far, 2)[0], abs=1e-6)
    assert far_weights[20, 20] == pytest.approx(class_balance_weights(far, 2)[1])  # inside objects: w_c only


def test_matches_brute_force():
    rng = np.random.default_rng(0)
    labels = np.zeros((24, 28), np.uint8)
    for _ in range(5):
        y, x = rng.integers(0, 20, 2)
        labels[y:y + rng.integers(2, 6), x:x + rng.integers(2, 6)] = 1
    labels[0, :3] = 255
    fast = border_weight_map(labels, 2, w0=10, sigma=5)

    from scipy import ndimage
    instances, count = ndimage.label(labels == 1)
    class_weights = class_balance_weights(labels, 2)
    points = [np.argwhere(instances == i) for i in range(1, count + 1)]
    expected = np.zeros(labels.shape)
    for y in range(labels.shape[0]):
        for x in range(labels.shape[1]):
            if labels[y, x] == 255:
                continue
            expected[y, x] = class_weights[labels[y, x]]
            if labels[y, x] == 0 and count >= 2:
                distances = sorted(np.sqrt(((p - (y, x)) ** 2).sum(1)).min() for p in points)
                expected[y, x] += 10 * np.exp(-(distances[0] + distances[1]) ** 2 / 50)
    assert np.allclose(fast, expected, atol=1e-3)
    assert fast[0, 0] == 0  # ignored pixels weigh nothing


def test_instance_labels_separate_touching_objects():
    labels = np.zeros((20, 20), np.uint8)
    labels[5:15, 2:18] = 1
    instances = np.zeros((20, 20), np.int32)
    instances[5:15, 2:10], instances[5:15, 10:18] = 1, 2
    d1, d2 = two_nearest_object_distances(instances)
    assert d1[2, 10] == 3 and d2[2, 10] == pytest.approx(np.sqrt(10))
    with_instances = border_weight_map(labels, instances=instances)
    assert with_instances[2, 10] > border_weight_map(labels)[2, 10]  # the second object counts
