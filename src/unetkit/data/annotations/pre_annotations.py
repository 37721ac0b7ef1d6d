"""Predictions written for an annotation tool to import and a person to correct (`unetkit predict
--export FORMAT FILE`): one registered writer per tool, fed image by image (so that a thousand images
keep only their regions, not their probabilities) and turned into the file's text at the end."""
from __future__ import annotations

import json
from xml.etree.ElementTree import Element

from ...registry import Registry
from .coco import coco_entries, coco_header
from .cvat import add_cvat_image, cvat_root, cvat_text
from .label_studio import label_studio_task
from .regions import PredictedImage


class PreAnnotationWriter:
    """Collects images' predictions; `text()` is the file. `image_url` prefixes each image's name where the
    tool refers to images by URL (Label Studio: /data/local-files/?d=images/)."""
    suffix = ".json"

    def __init__(self, class_names: list[str], image_url: str = ""):
        self.class_names, self.image_url, self.count = list(class_names), image_url, 0

    def add(self, item: PredictedImage) -> None:
        raise NotImplementedError

    def text(self) -> str:
        raise NotImplementedError


class CocoWriter(PreAnnotationWriter):
    """COCO instances JSON (CVAT, Label Studio, Roboflow and FiftyOne import it)."""

    def __init__(self, class_names: list[str], image_url: str = ""):
        super().__init__(class_names, image_url)
        self.document = coco_header(class_names)

    def add(self, item: PredictedImage) -> None:
        self.count += 1
        image, annotations = coco_entries(item, self.count, len(self.document["annotations"]) + 1)
        self.document["images"].append(image)
        self.document["annotations"] += annotations

    def text(self) -> str:
        return json.dumps(self.document)


class CvatWriter(PreAnnotationWriter):
    """CVAT for images 1.1 XML (Upload annotations in the task)."""
    suffix = ".xml"

    def __init__(self, class_names: list[str], image_url: str = ""):
        super().__init__(class_names, image_url)
        self.root: Element = cvat_root(class_names)

    def add(self, item: PredictedImage) -> None:
        add_cvat_image(self.root, item, self.count, self.class_names)
        self.count += 1

    def text(self) -> str:
        return cvat_text(self.root)


class LabelStudioWriter(PreAnnotationWriter):
    """Label Studio tasks with predictions (Import in the project)."""

    def __init__(self, class_names: list[str], image_url: str = ""):
        super().__init__(class_names, image_url)
        self.tasks: list[dict] = []

    def add(self, item: PredictedImage) -> None:
        self.tasks.append(label_studio_task(item, self.class_names, self.image_url))
        self.count += 1

    def text(self) -> str:
        return json.dumps(self.tasks)


PRE_ANNOTATIONS: Registry[type[PreAnnotationWriter]] = Registry("annotation export")
PRE_ANNOTATIONS.register("coco", CocoWriter)
PRE_ANNOTATIONS.register("cvat", CvatWriter)
PRE_ANNOTATIONS.register("label_studio", LabelStudioWriter)
