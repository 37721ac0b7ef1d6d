"""Suspicious labels (issue 30): the ranking puts corrupted masks first on made-up data."""
import numpy as np
import pytest

from unetkit.review import ImageProbabilities, class_thresholds, quantized, rank_suspects

IGNORE = 255


def _scene(seed: int):
    """A 64 x 64 image with two discs; a good model's foreground probability (0.85-0.95 inside, 0.05-0.15
    outside) and the true mask."""
    generator = np.random.default_rng(seed)
    yy, xx = np.mgrid[:64, :64]
    truth = np.zeros((64, 64), np.uint8)
    for _ in range(2):
        cy, cx = generator.integers(12, 52, 2)
        truth[(yy - cy) ** 2 + (xx - cx) ** 2 < 64] = 1
    foreground = np.where(truth == 1, generator.uniform(0.85, 0.95, truth.shape), generator.uniform(0.05, 0.15, truth.shape))
    return quantized(np.stack([1 - foreground, foreground])), truth


def test_corrupted_masks_come_first_and_the_ignore_label_is_never_suspect():
    images, corrupted = [], {"erased", "painted"}
    for index in range(10):
        probabilities, truth = _scene(index)
        label = truth.copy()
        name = f"clean_{index}"
        if index == 3:
            label[:] = 0                                  # every object erased from the mask
            name = "erased"
        if index == 7:
            label[40:56, 2:18] = 1                        # a false blob painted (partly over a real disc)
            name, painted_over_nothing = "painted", int((truth[40:56, 2:18] == 0).sum())
        if index == 5:
            label[truth == 1] = IGNORE                    # not scored: not suspect
        images.append(ImageProbabilities(name, probabilities, label))
    ranked, thresholds = rank_suspects(images, 2, ["background", "thing"], IGNORE)
    assert {suspect.name for suspect in ranked[:2]} == corrupted
    assert ranked[0].score > 0 and all(suspect.score < ranked[1].score / 5 for suspect in ranked[2:])
    assert thresholds[0] == pytest.approx(0.9, abs=0.03)
    assert 0.8 < thresholds[1] < 0.88       # the painted blob's pixels (p ~ 0.1) pull the class's mean down
    painted = next(s for s in ranked if s.name == "painted")
    # flagged: the painted pixels over nothing where the model's background probability reaches the class's
    # mean self-confidence (about half of them: p_background is uniform around that mean)
    assert painted.regions == 1 and list(painted.claimed) == ["thing -> background"]
    assert 0.4 * painted_over_nothing <= painted.claimed["thing -> background"] <= painted_over_nothing
    ignored = next(s for s in ranked if s.name == "clean_5")
    assert not ignored.mask[images[5].label == IGNORE].any()


def test_thresholds_are_each_class_mean_self_confidence():
    probabilities = quantized(np.array([[[0.8, 0.4]], [[0.2, 0.6]]]))     # (2, 1, 2)
    label = np.array([[0, 1]], np.uint8)
    assert class_thresholds([ImageProbabilities("a", probabilities, label)], 2, IGNORE) == pytest.approx(
        [0.8, 0.6], abs=1 / 255)
