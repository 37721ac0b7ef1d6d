import logging

import pytest
import torch

from unetkit.losses import build_loss
from unetkit.models import UNet
from unetkit.train.step import TrainStep


def _step(compile_model: bool):
    torch.manual_seed(0)
    model = UNet(1, 2, base_channels=4, depth=2, norm="batch")
    optimizer = torch.optim.Adam(model.parameters(), 1e-2)
    step = TrainStep(model, optimizer, build_loss("ce"), torch.device("cpu"), "fp32", torch.contiguous_format,
                     compile=compile_model)
    return model, step


def _batch():
    generator = torch.Generator().manual_seed(1)
    images = torch.randn(2, 1, 32, 32, generator=generator)
    return images, (images[:, 0] > 0).long()


def test_step_lowers_the_loss():
    _, step = _step(False)
    images, labels = _batch()
    losses = [float(step(images, labels)) for _ in range(15)]
    assert losses[-1] < 0.7 * losses[0]


def test_failed_compile_falls_back_to_eager_and_says_so(monkeypatch, caplog):
    def broken_compile(model, *args, **kwargs):
        def forward(*inputs):
            raise RuntimeError("backend compiler failed: no C++ compiler")
        return forward
    monkeypatch.setattr(torch, "compile", broken_compile)
    _, step = _step(True)
    _, eager = _step(False)
    images, labels = _batch()
    with caplog.at_level(logging.WARNING, logger="unetkit"):
        first = step(images, labels)
    assert "torch.compile failed" in caplog.text and "no C++ compiler" in caplog.text
    # the fallback step is exactly the eager step (the failed try changed nothing)
    assert torch.allclose(first, eager(images, labels))
    assert torch.allclose(step(images, labels), eager(images, labels))


def test_compiled_step_trains_like_the_eager_one(caplog):
    """A real torch.compile (tens of seconds on 2 cores); where compiling is impossible the step
    falls back (logged) and the comparison still holds."""
    _, compiled = _step(True)
    _, eager = _step(False)
    images, labels = _batch()
    with caplog.at_level(logging.WARNING, logger="unetkit"):
        ours = [float(compiled(images, labels)) for _ in range(3)]
    reference = [float(eager(images, labels)) for _ in range(3)]
    assert ours == pytest.approx(reference, rel=1e-3)
