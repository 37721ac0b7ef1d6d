"""An image's regions painted into one class-id label map (uint8, 255 = ignore).

Overlaps are resolved by painting in a fixed order, so the last painted wins:
1. crowd regions (COCO `iscrowd`) first, as ignore (or as their class, data.<format>.crowd=class), so
   that any single object drawn inside a crowd keeps its class;
2. then the regions by z (CVAT's z_order: what the person put in front stays in front);
3. among equal z, the larger first: a smaller region drawn over a larger one wins. People draw the
   window on the facade, the lesion on the skin, the nucleus in the cell; a later-drawn rule would let
   a facade polygon drawn last erase every window, while the smaller region is almost always the
   one meant to be on top. Ties keep the file's order (a stable sort), so the result is deterministic.

pycocotools decodes polygons and COCO RLE (frPyObjects + decode): the field's reference rasteriser,
whose pixel rule is the one COCO's own masks and `annToMask` use.
"""
from __future__ import annotations

import numpy as np
from pycocotools import mask as coco_mask

from .regions import AnnotatedImage, Region

IGNORE = 255


def region_mask(region: Region, height: int, width: int) -> np.ndarray:
    """The region as a boolean (height, width) array."""
    if region.mask is not None:
        return region.mask.astype(bool)
    if region.rle is not None:
        rle = region.rle
        if isinstance(rle.get("counts"), list):   # uncompressed RLE: COCO's crowd regions
            rle = coco_mask.frPyObjects(rle, height, width)
        return coco_mask.decode(rle).astype(bool)
    if region.polygons:
        rles = coco_mask.frPyObjects([list(map(float, ring)) for ring in region.polygons], height, width)
        return coco_mask.decode(coco_mask.merge(rles)).astype(bool)
    return np.zeros((height, width), dtype=bool)


def paint_order(regions: list[tuple[Region, np.ndarray]]) -> list[tuple[Region, np.ndarray]]:
    """Crowd first, then by z, then larger before smaller (the module docstring's rule); stable."""
    return sorted(regions, key=lambda item: (not item[0].crowd, item[0].z, -int(item[1].sum())))


def rasterise(image: AnnotatedImage, class_ids: dict, crowd_as_ignore: bool = True,
              unannotated: int = 0) -> np.ndarray:
    """The (height, width) uint8 label map of `image`: `unannotated` (0: background, 255: ignore) where
    nothing is drawn, each region's class id where it is."""
    label = np.full((image.height, image.width), unannotated, dtype=np.uint8)
    masks = [(region, region_mask(region, image.height, image.width)) for region in image.regions]
    for region, mask in paint_order(masks):
        label[mask] = IGNORE if region.crowd and crowd_as_ignore else class_ids[region.category]
    return label
