"""The tool-independent form of an annotation export: categories, images and their regions.

A region is what a person drew: a polygon (several rings of one object are joined, as COCO's are: a hole
needs a mask or a smaller region drawn over it), a box, or a run-length / full-resolution mask. Readers fill these in and
say what they could not use in `problems`, one line each naming the file, the image and the annotation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

BACKGROUND_NAMES = ("background", "_background_", "__background__", "bg")


@dataclass(frozen=True)
class Category:
    """A label of the tool: its id in the file and its name."""
    id: int | str
    name: str


@dataclass
class Region:
    """One drawn region. `polygons`: rings of (x0, y0, x1, y1, ...) in pixels; `rle`: COCO's
    {'size': [h, w], 'counts': ...}; `mask`: a boolean (H, W) array; a box is a four-corner polygon.
    `z` orders overlaps first (CVAT's z_order), then area (rasterise.py)."""
    category: int | str
    annotation_id: int | str = ""
    polygons: list[list[float]] = field(default_factory=list)
    rle: dict | None = None
    mask: np.ndarray | None = None
    crowd: bool = False
    z: int = 0
    score: float | None = None


@dataclass
class AnnotatedImage:
    """An image the export names, where it is, its size as the export states it and its regions."""
    file_name: str
    path: Path
    width: int
    height: int
    regions: list[Region] = field(default_factory=list)
    annotated: bool = True   # a tool's "no annotation at all" (data.<format>.unannotated decides)

    @property
    def name(self) -> str:
        """The sample name: the file name without folders or extension."""
        return Path(self.file_name).stem


@dataclass
class Annotations:
    """One export: where it came from, its categories in the file's order, its images, its problems."""
    source: Path
    categories: list[Category]
    images: list[AnnotatedImage]
    problems: list[str] = field(default_factory=list)
    classes: list[str] | None = None   # set by use_classes: another export's class order

    def use_classes(self, names: list[str]) -> list[str]:
        """Map this export's categories onto `names` (the training export's classes) by name; a problem
        line for each category the training export does not have."""
        self.classes = list(names)
        return [f"{self.source}: category '{category.name}' (id {category.id}) is not among the training "
                f"export's classes ({', '.join(names[1:])})" for category in self.categories
                if category.name not in names and category.name.lower() not in BACKGROUND_NAMES]

    def class_names(self) -> list[str]:
        """Class 0 is background: the file's own background category when it has one, else added;
        the other categories follow in the file's order (ids need not be 0..K-1 or consecutive)."""
        if self.classes is not None:
            return list(self.classes)
        names = list(dict.fromkeys(category.name for category in self.categories))   # a repeated name: one class
        own = [name for name in names if name.lower() in BACKGROUND_NAMES]
        return [own[0], *[n for n in names if n != own[0]]] if own else ["background", *names]

    def class_ids(self) -> dict[int | str, int]:
        """The file's category id -> the contiguous class id of class_names."""
        order = self.class_names()
        return {category.id: order.index(category.name) if category.name in order else 0
                for category in self.categories}


@dataclass
class PredictedImage:
    """A model's label map for one image, to be written as pre-annotations: the image's file name as the
    tool knows it, the (H, W) class ids and, for region scores, the (C, H, W) probabilities; `review --export`
    adds the label the image has now and its score."""
    file_name: str
    label: np.ndarray
    probabilities: np.ndarray | None = None
    label_now: np.ndarray | None = None   # the image's current label (review: written beside the proposal)
    score: float | None = None            # the image's score as a task (review's suspicion or label-next value)
