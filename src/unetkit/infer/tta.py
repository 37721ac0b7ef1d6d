"""Test-time augmentation: average probabilities over flips (and 90-degree rotations), each undone exactly."""
from __future__ import annotations

from collections.abc import Callable

import torch

# Each transform acts on the last two dims of (C, H, W); `inverse` undoes it on (K, H, W) outputs.
Transform = tuple[Callable[[torch.Tensor], torch.Tensor], Callable[[torch.Tensor], torch.Tensor]]


def _flip(dims):
    return (lambda x: torch.flip(x, dims), lambda y: torch.flip(y, dims))


def _rotate(k):
    return (lambda x: torch.rot90(x, k, (-2, -1)), lambda y: torch.rot90(y, -k, (-2, -1)))


def tta_transforms(flips: bool = True, rotations: bool = False, vertical: bool = True) -> list[Transform]:
    """Identity plus horizontal, vertical and both flips; with rotations all 8 symmetries of the square.
    vertical=False (a model trained upright: sky above road) keeps the horizontal flip alone, so no view
    shows the model a scene upside down that it never saw in training."""
    identity = (lambda x: x, lambda y: y)
    transforms = [identity]
    if flips:
        transforms += [_flip((-1,)), _flip((-2,)), _flip((-2, -1))] if vertical else [_flip((-1,))]
    if rotations:
        transforms += [_rotate(1), _rotate(3)]
        if flips:  # the two diagonal reflections complete the dihedral group
            transforms += [(lambda x: torch.rot90(torch.flip(x, (-1,)), 1, (-2, -1)),
                            lambda y: torch.flip(torch.rot90(y, -1, (-2, -1)), (-1,))),
                           (lambda x: torch.rot90(torch.flip(x, (-1,)), 3, (-2, -1)),
                            lambda y: torch.flip(torch.rot90(y, -3, (-2, -1)), (-1,)))]
    return transforms


def tta_average(image: torch.Tensor, run: Callable[[torch.Tensor], torch.Tensor], flips: bool = True,
                rotations: bool = False, vertical: bool = True) -> torch.Tensor:
    """Mean of run(T(image)) mapped back by T's inverse, over the chosen transforms T. image (C, H, W)."""
    total = None
    transforms = tta_transforms(flips, rotations, vertical)
    for forward, inverse in transforms:
        output = inverse(run(forward(image).contiguous()))
        total = output if total is None else total.add_(output)
    return total.div_(len(transforms))
