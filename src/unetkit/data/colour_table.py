"""A colour table beside the data: class names and the RGB colour of each class, in class order, as
annotation tools export them with colour masks.

- `labelmap.txt`, CVAT's "Segmentation mask" export: `name:r,g,b:parts:actions` per line, `#` comments;
- `classes.yaml` (or `.yml`): a mapping `name: [r, g, b]` in class order, or a list of
  `{name: ..., color: [r, g, b]}` entries (LabelMe conversions and hand-written tables).

The automatic plan and `inspect` read it from data.root (data/fingerprint.py); data.class_names and
data.colors given by the user win over it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import DataError

TABLE_FILES = ("labelmap.txt", "classes.yaml", "classes.yml")


@dataclass(frozen=True)
class ColourTable:
    names: list[str]
    colours: list[list[int]]      # [r, g, b] per class, in class order
    path: str

    def describe(self) -> str:
        return ", ".join(f"{name} ({','.join(map(str, colour))})" for name, colour in zip(self.names, self.colours))


def _colour(value, path: Path, where: str) -> list[int]:
    parts = [part.strip() for part in value.split(",")] if isinstance(value, str) else value
    try:
        colour = [int(part) for part in parts]
    except (TypeError, ValueError):
        colour = []
    if len(colour) != 3 or not all(0 <= c <= 255 for c in colour):
        raise DataError(f"{path}: {where}: colour {value!r} is not r,g,b with values 0..255")
    return colour


def _read_labelmap(path: Path) -> list[tuple[str, list[int]]]:
    entries = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, separator, rest = line.partition(":")
        if not separator or not name.strip():
            raise DataError(f"{path}: line {number}: expected name:r,g,b:parts:actions (CVAT's labelmap), got {line!r}")
        entries.append((name.strip(), _colour(rest.split(":")[0], path, f"line {number}")))
    return entries


def _read_yaml(path: Path) -> list[tuple[str, list[int]]]:
    try:
        tree = yaml.safe_load(path.read_text(errors="replace"))
    except yaml.YAMLError as error:
        raise DataError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from None
    if isinstance(tree, dict) and set(tree) == {"classes"}:
        tree = tree["classes"]
    if isinstance(tree, dict):
        return [(str(name), _colour(colour, path, f"class {name!r}")) for name, colour in tree.items()]
    if isinstance(tree, list) and all(isinstance(entry, dict) and "name" in entry for entry in tree):
        return [(str(entry["name"]), _colour(entry.get("color", entry.get("colour")), path, f"class {entry['name']!r}"))
                for entry in tree]
    raise DataError(f"{path}: expected a mapping 'name: [r, g, b]' or a list of {{name, color}} entries")


def read_colour_table(path: str | Path) -> ColourTable:
    """Read one table file; a malformed file, a repeated name or colour is a one-line DataError."""
    path = Path(path)
    try:
        entries = _read_labelmap(path) if path.suffix == ".txt" else _read_yaml(path)
    except OSError as error:
        raise DataError(f"{path}: cannot read the colour table ({error.strerror or error})") from None
    if len(entries) < 2:
        raise DataError(f"{path}: a colour table needs at least 2 classes (background and one more)")
    names, colours = [name for name, _ in entries], [colour for _, colour in entries]
    for kind, items in (("name", names), ("colour", [tuple(c) for c in colours])):
        repeated = next((item for index, item in enumerate(items) if item in items[:index]), None)
        if repeated is not None:
            raise DataError(f"{path}: the {kind} {repeated} is listed twice")
    return ColourTable(names, colours, str(path))


def find_colour_table(root: str | Path) -> ColourTable | None:
    """The colour table in the dataset folder, if there is one (the first of TABLE_FILES)."""
    for name in TABLE_FILES:
        path = Path(root) / name
        if path.is_file():
            return read_colour_table(path)
    return None
