"""A Label Studio project's labelling config, as far as a segmentation backend needs it: the BrushLabels tag
(its `name` is a result's from_name), the Image tag it draws on (to_name, and the task data key of its
`value="$image"`), and its labels matched by name (case ignored) to the model's classes. The model's
background class needs no label: where no brush is, is background."""
from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree

from ...data.annotations.regions import BACKGROUND_NAMES
from ...errors import ConfigError


@dataclass(frozen=True)
class BrushConfig:
    from_name: str                 # the BrushLabels tag's name
    to_name: str                   # the Image tag's name
    data_key: str                  # the task data key holding the image (`value="$image"` -> image)
    labels: tuple[str, ...]        # the BrushLabels' label values, in the config's order

    def class_labels(self, class_names: list[str]) -> dict[int, str]:
        """Model class id -> the config's label of the same name (case ignored); the model's classes without
        a label are left out (they are not drawn)."""
        by_name = {label.lower(): label for label in self.labels}
        return {index: by_name[name.lower()] for index, name in enumerate(class_names) if name.lower() in by_name}

    def unlabelled_classes(self, class_names: list[str]) -> list[str]:
        """The model's classes but background (class 0 and those named like it) that have no label here."""
        labelled = self.class_labels(class_names)
        return [name for index, name in enumerate(class_names)
                if index > 0 and index not in labelled and name.lower() not in BACKGROUND_NAMES]

    def mismatches(self, class_names: list[str]) -> list[str]:
        """One line each for the model's classes the config lacks and the config's labels the model lacks."""
        known = {name.lower() for name in class_names}
        lacking = self.unlabelled_classes(class_names)
        unknown = [label for label in self.labels if label.lower() not in known]
        lines = []
        if lacking:
            lines.append(f"the model's classes {', '.join(lacking)} have no label in the project's BrushLabels "
                         f"'{self.from_name}': they are not pre-annotated")
        if unknown:
            lines.append(f"the project's labels {', '.join(unknown)} are not among the model's classes "
                         f"({', '.join(class_names)}): the model never proposes them, and fine-tuning and the task "
                         f"scores ignore their pixels")
        return lines


def parse_label_config(text: str) -> BrushConfig:
    """The config's first BrushLabels tag and its Image; a ConfigError saying what is missing otherwise."""
    try:
        root = ElementTree.fromstring(text or "")
    except ElementTree.ParseError as error:
        raise ConfigError(f"the project's labelling config is not XML ({error})") from None
    brush = next(root.iter("BrushLabels"), None)
    if brush is None:
        tags = sorted({element.tag for element in root.iter() if element.tag != "View"})
        raise ConfigError(f"the project's labelling config has no BrushLabels tag (it has {', '.join(tags) or 'none'}): "
                          f"a segmentation model proposes brush masks; add <BrushLabels name=... toName=...>")
    from_name, to_name = brush.get("name", ""), brush.get("toName", "")
    image = next((element for element in root.iter("Image") if element.get("name") == to_name), None)
    if not from_name or image is None:
        raise ConfigError(f"the BrushLabels tag '{from_name}' does not point to an Image tag (toName='{to_name}')")
    value = image.get("value", "")
    labels = tuple(label.get("value", "") for label in brush.iter("Label") if label.get("value"))
    if not labels:
        raise ConfigError(f"the BrushLabels tag '{from_name}' has no Label values")
    return BrushConfig(from_name, to_name, value.lstrip("$") if value.startswith("$") else "image", labels)
