"""Labels as annotation tools export them, brought in at the edge (STYLE.md, 11).

A reader (coco.py, cvat.py, labelme.py, label_studio.py) turns one export into `Annotations`: the
categories, and per image its regions (polygons, boxes, run-length masks) in the tool's own terms, plus
a problem line for everything that cannot be used. rasterise.py paints an image's regions into the
class-id label map the rest of unetkit reads (pycocotools decodes polygons and COCO RLE); label_cache.py
keeps the painted maps as PNGs, keyed by the export file, so a format lists ordinary (image, mask) pairs
and the trainer never learns that COCO exists. The way back, label map -> regions -> the tool's file,
is label_regions.py and the writers beside each reader (`unetkit predict --export`).
"""
from .regions import AnnotatedImage, Annotations, Category, PredictedImage, Region

__all__ = ["AnnotatedImage", "Annotations", "Category", "PredictedImage", "Region"]
