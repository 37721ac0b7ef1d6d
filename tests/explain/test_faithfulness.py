"""The deletion score: a map that ranks the pixels the score depends on first scores high, a map
that ranks them last scores low, and a random order sits in between."""
import numpy as np
import torch

from unetkit.explain.faithfulness import blurred, faithfulness, random_deletion_score


def _scorer(region: torch.Tensor):
    """A 'class score' that is the mean brightness inside `region` (what blurring the region lowers)."""
    return lambda images: (images[:, 0] * region).sum(dim=(1, 2)) / region.sum()


def test_maps_that_point_at_the_evidence_score_highest():
    image = torch.zeros(1, 1, 40, 40)
    image[..., 10:16, 10:16] = 1.0
    region = torch.zeros(40, 40, dtype=torch.bool)
    region[10:16, 10:16] = True
    scorer = _scorer(region)
    blur = blurred(image)
    base = float(scorer(image)[0])
    right = np.zeros((40, 40), np.float32)
    right[10:16, 10:16] = 1.0
    wrong = 1.0 - right
    good = faithfulness(scorer, image, blur, right, base)
    bad = faithfulness(scorer, image, blur, wrong, base)
    chance = random_deletion_score(scorer, image, blur, base)
    assert good > 0.5 > bad
    assert bad < chance < good


def test_empty_maps_and_unscored_classes_have_no_score():
    image = torch.rand(1, 1, 20, 20)
    scorer = _scorer(torch.ones(20, 20, dtype=torch.bool))
    assert faithfulness(scorer, image, blurred(image), np.zeros((20, 20), np.float32), 0.5) is None
    assert faithfulness(scorer, image, blurred(image), np.ones((20, 20), np.float32), 0.0) is None


def test_the_blur_washes_out_small_structures_on_tiny_images_too():
    image = torch.zeros(1, 1, 9, 9)
    image[..., 4, 4] = 1.0
    washed = blurred(image)
    assert washed.shape == image.shape and washed[..., 4, 4] < 0.2
