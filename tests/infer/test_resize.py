import numpy as np
import torch

from unetkit.infer.resize import letterbox, restore, stretch


def _as_probabilities(canvas):
    return torch.from_numpy(canvas).permute(2, 0, 1).float()


def test_letterbox_pads_with_colour_and_maps_back_exactly():
    image = np.zeros((30, 60, 3), np.uint8)
    image[:, 20:] = 200                      # an edge at column 20
    canvas, plan = letterbox(image, 120, pad_value=128)
    assert canvas.shape == (120, 120, 3)
    assert (canvas[:30] == 128).all() and (canvas[-30:] == 128).all()   # grey bars above and below
    back = restore(_as_probabilities(canvas), plan)
    assert back.shape == (3, 30, 60)
    assert (back[0, :, :19] < 100).all() and (back[0, :, 21:] > 100).all()  # edge still at column 20


def test_letterbox_at_native_scale_is_identity():
    image = np.random.default_rng(0).integers(0, 255, (40, 64, 1), dtype=np.uint8)
    canvas, plan = letterbox(image, 64, pad_value=0)
    assert torch.equal(restore(_as_probabilities(canvas), plan), _as_probabilities(image))


def test_stretch_round_trip_size():
    image = np.zeros((25, 50, 3), np.uint8)
    canvas, plan = stretch(image, 64)
    assert canvas.shape == (64, 64, 3)
    assert restore(_as_probabilities(canvas), plan).shape == (3, 25, 50)
