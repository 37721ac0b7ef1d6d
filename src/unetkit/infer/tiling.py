"""Inference on images larger than a tile, with memory bounded by the tile batch, not the image.

Pure functions over tensors (MONAI-style): `forward` maps a batch of input tiles (N, C, h, w) to
logits or probabilities (N, K, h', w'); the image itself is never copied or padded as a whole --
each tile gathers its pixels through mirrored indices, so any pad amount costs no memory.

- valid-padding networks: the paper's overlap-tile strategy. The image is mirror-extended by the
  network's border context and cut into input tiles whose outputs abut exactly; no blending.
- same-padding networks: sliding windows with overlap, blended with a Gaussian importance map that
  falls off toward the tile borders (as nnU-Net and MONAI do).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

from .padding import mirror_window

Forward = Callable[[torch.Tensor], torch.Tensor]


def tile_starts(length: int, tile: int, stride: int, multiple: int = 1) -> list[int]:
    """Tile origins 0, stride, 2*stride, ... and a last one flush with the end, as far as the grid
    of `multiple` allows (it may stick out by less than `multiple` pixels, which see mirrored ones).

    A U-Net is shift-equivariant only for shifts that are multiples of its pooling factor, so every
    origin is kept a multiple of it (`stride` must be one too): each tile then sees the same pooling
    phase as the whole image, and tiled outputs agree with whole-image ones.
    """
    if length <= tile:
        return [0]
    last = (length - tile) // multiple * multiple
    if last + tile < length:
        last += multiple
    return list(range(0, last, stride)) + [last]


def _batches(items: list, size: int) -> Iterator[list]:
    for index in range(0, len(items), size):
        yield items[index:index + size]


def overlap_tile_inference(image: torch.Tensor, forward: Forward, output_tile: int, input_tile: int,
                           batch_size: int = 4, size_multiple: int = 1, align: bool = True) -> torch.Tensor:
    """Overlap-tile (Ronneberger et al. 2015) for a valid-padding network.

    image (C, H, W); the network maps input_tile x input_tile to output_tile x output_tile. Output
    tiles abut (stride = output_tile rounded down to `size_multiple`, the network's pooling factor,
    so every tile sits on the same pooling grid as the whole image would; align=False puts the last
    tile flush with the edge instead). Returns (K, H, W).
    """
    height, width = image.shape[-2:]
    margin = (input_tile - output_tile) // 2
    grid = size_multiple if align else 1
    stride = max(grid, output_tile - output_tile % grid)
    positions = [(y, x) for y in tile_starts(height, output_tile, stride, grid)
                 for x in tile_starts(width, output_tile, stride, grid)]
    result = None
    for batch in _batches(positions, batch_size):
        tiles = torch.stack([mirror_window(image, y - margin, x - margin, input_tile, input_tile) for y, x in batch])
        outputs = forward(tiles).float()
        if result is None:
            result = torch.zeros(outputs.shape[1], height, width, device=outputs.device)
        for (y, x), output in zip(batch, outputs):
            crop = output[:, :min(output_tile, height - y), :min(output_tile, width - x)]
            result[:, y:y + crop.shape[1], x:x + crop.shape[2]] = crop
    return result


def gaussian_importance(height: int, width: int | None = None, sigma_scale: float = 0.125) -> torch.Tensor:
    """(height, width) weights: a Gaussian centred on the tile, sigma = side * sigma_scale, min > 0."""
    def profile(side: int) -> torch.Tensor:
        coordinates = torch.arange(side, dtype=torch.float64) - (side - 1) / 2
        return torch.exp(-coordinates ** 2 / (2 * (side * sigma_scale) ** 2))
    weights = torch.outer(profile(height), profile(width or height))
    weights = weights / weights.max()
    return weights.clamp_min(1e-3).float()  # never zero, so every pixel gets a defined average


def sliding_window_inference(image: torch.Tensor, forward: Forward, tile: int, overlap: float = 0.25,
                             batch_size: int = 4, blend: str = "gaussian", size_multiple: int = 1,
                             align: bool = True) -> torch.Tensor:
    """Sliding-window inference for a same-padding network: image (C, H, W) -> blended (K, H, W).

    `tile` and the stride are multiples of `size_multiple` (the network's pooling factor); along a
    side shorter than the tile, the tile shrinks to that side rounded up to the multiple, so an image
    that fits in one tile is computed exactly as a whole image. `blend`: 'gaussian' or 'constant'.
    align=False places tiles as MONAI does (stride not rounded, the last tile flush with the edge),
    giving up the whole-image agreement for outputs equal to MONAI's sliding_window_inference.
    """
    if not 0 <= overlap < 1:
        raise ValueError(f"overlap must be in [0, 1), got {overlap}")
    height, width = image.shape[-2:]
    def round_up(side):
        return -(-side // size_multiple) * size_multiple
    tile_height, tile_width = min(tile, round_up(height)), min(tile, round_up(width))
    grid = size_multiple if align else 1
    stride = max(grid, int(tile * (1 - overlap)) // grid * grid)
    weights = (gaussian_importance(tile_height, tile_width) if blend == "gaussian"
               else torch.ones(tile_height, tile_width))
    positions = [(y, x) for y in tile_starts(height, tile_height, stride, grid)
                 for x in tile_starts(width, tile_width, stride, grid)]
    total = weight_sum = None
    for batch in _batches(positions, batch_size):
        tiles = torch.stack([mirror_window(image, y, x, tile_height, tile_width) for y, x in batch])
        outputs = forward(tiles).float()
        if total is None:
            total = torch.zeros(outputs.shape[1], height, width, device=outputs.device)
            weight_sum = torch.zeros(height, width, device=outputs.device)
            weights = weights.to(outputs.device)
        for (y, x), output in zip(batch, outputs):
            h, w = min(tile_height, height - y), min(tile_width, width - x)
            total[:, y:y + h, x:x + w] += output[:, :h, :w] * weights[:h, :w]
            weight_sum[y:y + h, x:x + w] += weights[:h, :w]
    return total.div_(weight_sum)
