import torch

from unetkit.infer.tta import tta_average, tta_transforms


def test_every_transform_is_undone_exactly():
    image = torch.arange(2 * 5 * 7, dtype=torch.float32).view(2, 5, 7)
    for forward, inverse in tta_transforms(flips=True, rotations=True):
        assert torch.equal(inverse(forward(image)), image)
    assert len(tta_transforms(True, True)) == 8 and len(tta_transforms(True, False)) == 4


def test_equivariant_model_is_unchanged_by_tta():
    torch.manual_seed(0)
    pointwise = torch.nn.Conv2d(3, 2, 1)  # a 1x1 conv commutes with flips and rotations
    def run(x):
        return pointwise(x[None])[0].detach()
    image = torch.randn(3, 9, 13)
    assert torch.allclose(tta_average(image, run, flips=True, rotations=True), run(image), atol=1e-6)


def test_non_equivariant_model_is_changed_by_tta():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(1, 1, 3, padding=1)
    def run(x):
        return conv(x[None])[0].detach()
    image = torch.randn(1, 8, 8)
    assert not torch.allclose(tta_average(image, run), run(image), atol=1e-3)


def test_tta_average_is_the_mean_over_the_chosen_transforms_undone():
    """By hand over the transforms, with a model that is not equivariant (it adds a mark off the centre): flips alone by
    default, all 8 symmetries with rotations (found by `make mutants`, issue 31)."""
    image = torch.arange(12.0).reshape(1, 3, 4)[:, :3, :3] + 1
    ramp = torch.zeros(1, 3, 3)
    ramp[0, 0, 1] = 5.0                      # its flips stay in the middle column, its rotations do not

    def run(x):
        return x * 2 + ramp

    for flips, rotations, count in ((True, False, 4), (True, True, 8), (False, True, 3)):
        expected = sum(inverse(run(forward(image))) for forward, inverse in tta_transforms(flips, rotations)) / count
        assert torch.allclose(tta_average(image, run, flips, rotations), expected)
    flips_only = sum(inverse(run(forward(image))) for forward, inverse in tta_transforms(True, False)) / 4
    assert torch.allclose(tta_average(image, run), flips_only)
    assert not torch.allclose(tta_average(image, run, True, True), flips_only)


def test_the_transforms_are_the_symmetries_of_the_square_in_order():
    """Found by `make mutants` (issue 31): each transform is its own symmetry (a flip of another axis or a
    rotation by another angle would repeat one and leave one out); flips alone by default."""
    image = torch.arange(2 * 5 * 5, dtype=torch.float32).view(2, 5, 5)
    expected = [image, image.flip(-1), image.flip(-2), image.flip((-2, -1)),
                torch.rot90(image, 1, (-2, -1)), torch.rot90(image, 3, (-2, -1)),
                torch.rot90(image.flip(-1), 1, (-2, -1)), torch.rot90(image.flip(-1), 3, (-2, -1))]
    seen = [forward(image) for forward, _ in tta_transforms(flips=True, rotations=True)]
    assert all(torch.equal(a, b) for a, b in zip(seen, expected, strict=True))
    assert len({tuple(x.flatten().tolist()) for x in seen}) == 8
    assert [torch.equal(forward(image), e) for (forward, _), e in zip(tta_transforms(), expected)] == [True] * 4
    assert len(tta_transforms()) == 4


def test_upright_models_get_the_horizontal_flip_alone():
    """Issue 27: a model trained without vertical flips (upright scenes) is never shown the sky below."""
    image = torch.arange(2 * 4 * 6, dtype=torch.float32).view(2, 4, 6)
    upright = tta_transforms(flips=True, vertical=False)
    assert [torch.equal(forward(image), e) for (forward, _), e in zip(upright, [image, image.flip(-1)],
                                                                        strict=True)] == [True, True]
    run = lambda x: x * torch.linspace(0, 1, x.shape[-2])[:, None]   # noqa: E731 -- depends on the row
    expected = (run(image) + run(image.flip(-1)).flip(-1)) / 2
    assert torch.allclose(tta_average(image, run, vertical=False), expected)
    assert not torch.allclose(tta_average(image, run), expected)
    assert len(tta_transforms(True, True, vertical=False)) == 6
