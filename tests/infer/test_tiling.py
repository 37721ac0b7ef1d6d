import numpy as np
import pytest
import torch

from unetkit.infer import predict_probabilities
from unetkit.infer.padding import mirror_indices, mirror_window
from unetkit.infer.tiling import (
    gaussian_importance,
    overlap_tile_inference,
    sliding_window_inference,
    tile_starts,
)
from unetkit.losses import class_probabilities
from unetkit.models import UNet


def test_mirror_indices_match_numpy_reflect():
    for size in (1, 2, 5):
        expected = np.pad(np.arange(size), 13, mode="reflect") if size > 1 else np.zeros(size + 26, int)
        assert np.array_equal(mirror_indices(-13, size + 13, size), expected)


def test_mirror_window_is_a_window_of_the_mirrored_image():
    image = torch.arange(3 * 7 * 9).view(3, 7, 9)
    padded = np.pad(image.numpy(), ((0, 0), (10, 10), (10, 10)), mode="reflect")
    tile = mirror_window(image, -4, 5, 12, 11)
    assert np.array_equal(tile.numpy(), padded[:, 6:18, 15:26])
    assert mirror_window(image, 1, 2, 3, 4).data_ptr() == image[:, 1:4, 2:6].data_ptr()  # inside: a view


def test_tile_starts_cover_the_axis():
    assert tile_starts(10, 16, 8) == [0]
    assert tile_starts(100, 32, 24) == [0, 24, 48, 68]        # the last one flush with the end
    assert tile_starts(100, 32, 24, multiple=8) == [0, 24, 48, 72]  # ... as far as the grid allows
    assert tile_starts(96, 32, 24, multiple=8) == [0, 24, 48, 64]


def _forward(model):
    def run(tiles):
        with torch.no_grad():
            return class_probabilities(model(tiles.float()))
    return run


def test_overlap_tile_equals_whole_image_for_valid_model():
    torch.manual_seed(0)
    model = UNet(2, 3, base_channels=4, depth=2, padding="valid").eval()
    image = torch.randn(2, 75, 61)
    whole = predict_probabilities(model, image[None])[0]
    input_tile = model.input_size_for(20)
    tiled = overlap_tile_inference(image, _forward(model), model.output_size(input_tile), input_tile, batch_size=3,
                                   size_multiple=model.size_multiple)
    assert tiled.shape == whole.shape
    assert torch.allclose(tiled, whole, atol=1e-5), (tiled - whole).abs().max()


def test_sliding_window_single_tile_equals_whole_image():
    torch.manual_seed(0)
    model = UNet(1, 2, base_channels=4, depth=2, norm="batch").eval()
    image = torch.randn(1, 61, 45)
    whole = predict_probabilities(model, image[None])[0]
    tiled = sliding_window_inference(image, _forward(model), 64, size_multiple=4)
    assert torch.allclose(tiled, whole, atol=1e-4)


def test_sliding_window_seams_stay_close(trained_tiny_model):
    model, image = trained_tiny_model
    whole = predict_probabilities(model, image[None])[0]
    tiled = sliding_window_inference(image, _forward(model), 48, overlap=0.5, batch_size=4, size_multiple=4)
    difference = (tiled - whole).abs()
    label_changes = ((tiled[1] > 0.5) != (whole[1] > 0.5)).float().mean()
    assert difference.mean() < 0.02 and label_changes < 0.02, (difference.mean(), label_changes)


def test_gaussian_importance_falls_off_to_the_border():
    weights = gaussian_importance(32)
    assert weights[15, 15] == weights.max() and weights[0, 0] < 0.01 * weights.max()
    assert (weights > 0).all()


def test_constant_blend_and_bad_overlap():
    image = torch.ones(1, 40, 40)
    out = sliding_window_inference(image, lambda t: t.repeat(1, 2, 1, 1), 16, 0.5, blend="constant")
    assert torch.allclose(out, torch.ones(2, 40, 40))
    with pytest.raises(ValueError, match="overlap"):
        sliding_window_inference(image, lambda t: t, 16, 1.0)


@pytest.fixture(scope="module")
def trained_tiny_model():
    """A small U-Net fitted to synthetic vessels with a plain PyTorch loop (not unetkit's trainer, so that
    `make mutants` does not retrain it for every mutant of the losses, metrics and checkpoints)."""
    from unetkit.data.synthetic import make_synthetic_sample

    def tensors(seed):
        image, mask, _ = make_synthetic_sample(seed, size=64)
        return torch.from_numpy(image).permute(2, 0, 1).float() / 255 - 0.5, torch.from_numpy(mask > 0).long()

    torch.manual_seed(0)
    images, masks = zip(*(tensors(seed) for seed in range(4)))
    images, masks = torch.stack(images), torch.stack(masks)
    model = UNet(in_channels=3, num_classes=2, base_channels=8, depth=2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(12):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(images), masks).backward()
        optimizer.step()
    return model.eval(), tensors(10)[0]


def test_unaligned_windows_sit_where_monai_puts_them():
    """align=False: stride int(tile * (1 - overlap)), the last window flush with the edge (MONAI's
    dense_patch_slices); every window is seen exactly once, in that order."""
    seen = []

    def forward(tiles):
        seen.extend(tile[0, 0, 0].item() for tile in tiles)  # encodes the window's origin
        return torch.zeros(tiles.shape[0], 2, *tiles.shape[-2:])

    height, width = 584, 565
    rows = torch.arange(height).view(-1, 1).expand(height, width)
    image = (rows * 1000 + torch.arange(width)).float()[None]
    sliding_window_inference(image, forward, 256, 0.25, batch_size=4, size_multiple=16, align=False)
    expected = [y * 1000 + x for y in (0, 192, 328) for x in (0, 192, 309)]
    assert seen == expected
    seen.clear()
    sliding_window_inference(image, forward, 256, 0.25, batch_size=4, size_multiple=16)  # aligned
    assert seen == [y * 1000 + x for y in (0, 192, 336) for x in (0, 192, 320)]


@pytest.mark.parametrize(("align", "rows"), [(True, [0, 16, 24]), (False, [0, 17])])
def test_overlap_tiles_cover_every_pixel_once_on_or_off_the_pooling_grid(align, rows):
    """A stand-in valid network (its output is the input's centre) rebuilds the image exactly, for an output
    tile that is not a multiple of the pooling factor 8; aligned tiles start on the grid, unaligned ones end
    flush with the edge (found by `make mutants`, issue 31). Pixel values encode their row and column, so
    each tile's output origin is read from its first output pixel."""
    image = torch.arange(37 * 45, dtype=torch.float32).reshape(1, 37, 45)
    origins = set()

    def centre(tiles):
        origins.update(divmod(int(v), 45)[0] for v in tiles[:, 0, 4, 4])
        return tiles[:, :, 4:-4, 4:-4]                  # input tile 28 -> output tile 20

    result = overlap_tile_inference(image, centre, output_tile=20, input_tile=28, size_multiple=8, align=align)
    assert torch.equal(result, image) and sorted(origins) == rows
    origins.clear()
    default = overlap_tile_inference(image, centre, output_tile=20, input_tile=28)   # size_multiple 1: flush
    assert torch.equal(default, image) and sorted(origins) == [0, 17]


def test_gaussian_importance_by_hand():
    """Found by `make mutants` (issue 31): nnU-Net's weights, sigma = side / 8, centred, peak 1, never below 1e-3."""
    def profile(side):
        x = np.arange(side) - (side - 1) / 2
        return np.exp(-x ** 2 / (2 * (side / 8) ** 2))
    expected = np.outer(profile(6), profile(10))
    expected = np.maximum(expected / expected.max(), 1e-3)
    weights = gaussian_importance(6, 10)
    assert weights.shape == (6, 10) and weights.dtype == torch.float32
    assert np.allclose(weights.numpy(), expected, rtol=1e-6, atol=1e-7)
    assert torch.equal(gaussian_importance(6), gaussian_importance(6, 6))


def test_sliding_window_defaults_overlap_zero_and_gaussian_blend():
    """Found by `make mutants` (issue 31): the defaults are a quarter overlap, batches of 4 and Gaussian blending;
    no overlap is allowed; the Gaussian leans each overlapping pixel towards the window whose centre is nearer."""
    width = 24
    image = torch.arange(width, dtype=torch.float32).expand(1, 16, width).clone()   # pixel value = its column
    calls = []

    def origin(tiles):                     # every window answers its left column: 0 or 8
        calls.append(tiles.shape[0])
        return tiles[:, :, :, :1].expand(-1, 1, -1, tiles.shape[-1]).clone()

    explicit = sliding_window_inference(image, origin, 16, overlap=0.25, batch_size=4, blend="gaussian")
    assert torch.equal(sliding_window_inference(image, origin, 16), explicit)
    gaussian = sliding_window_inference(image, origin, 16, overlap=0.5)
    constant = sliding_window_inference(image, origin, 16, overlap=0.5, blend="constant")
    assert torch.allclose(constant[0, :, 8:16], torch.tensor(4.0))               # the plain mean of 0 and 8
    # nearer 0's centre, then 8's (off the top and bottom rows, where both weights sit at their 1e-3 floor)
    assert (gaussian[0, 1:15, 9] < 4).all() and (gaussian[0, 1:15, 14] > 4).all()
    assert torch.equal(gaussian[0, :, :8], torch.zeros(16, 8)) and torch.equal(gaussian[0, :, 16:], torch.full((16, 8), 8.0))
    shapes = []

    def identity(tiles):
        shapes.append(tuple(tiles.shape))
        return tiles.clone()
    strip = torch.rand(1, 15, 72)                                # shorter than the tile: windows of 15 x 16
    assert torch.allclose(sliding_window_inference(strip, identity, 16), strip, atol=1e-6)
    assert shapes == [(4, 1, 15, 16), (2, 1, 15, 16)]            # stride 12: 6 windows, in batches of 4
    calls.clear()
    no_overlap = sliding_window_inference(torch.zeros(1, 16, 48), origin, 16, overlap=0.0, batch_size=2)
    assert no_overlap.shape == (1, 16, 48) and calls == [2, 1]                   # 3 windows side by side
