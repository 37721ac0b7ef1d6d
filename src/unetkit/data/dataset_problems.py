"""What in a dataset would stop training, or have it learn the wrong thing, each said once naming its file:
unreadable (truncated, corrupt) images and masks, masks of another size than their images, splits whose
masks encode the classes differently (0/255 in train, 0/1 in val), mask values a class id cannot hold
(16-bit masks). The fingerprint collects them; `unetkit inspect` lists them all and exits 2, and the plan
that `train` makes stops on them with the same words."""
from __future__ import annotations

from pathlib import Path

from ..errors import DataError

MAX_CLASS_VALUE = 255   # masks hold class ids 0..254 and void 255 (8-bit)


class DatasetProblems(DataError):
    """The dataset has problems training would stop on (or silently mis-learn from): the first in the
    message, all of them in `problems`."""

    def __init__(self, fingerprint, problems: list[str]):
        self.fingerprint, self.problems = fingerprint, problems
        more = (f" (and {len(problems) - 1} more: `unetkit inspect {fingerprint.root}` lists them)"
                if len(problems) > 1 else "")
        super().__init__(f"{problems[0]}{more}")


def unreadable_problems(unreadable: list[str]) -> list[str]:
    return [f"{name}: unreadable image (truncated, corrupt or not an image); training stops on it" for name in unreadable]


def size_problem(mask: Path, mask_size: tuple[int, int], image: Path, image_size: tuple[int, int]) -> str:
    return (f"{mask}: mask is {mask_size[0]}x{mask_size[1]}, its image {image.name} {image_size[0]}x{image_size[1]}; "
            f"a mask must cover its image pixel for pixel")


def wide_value_problem(mask: Path, largest: int) -> str:
    return (f"{mask}: mask values up to {largest} (a 16-bit mask?); class ids are 0..{MAX_CLASS_VALUE - 1} "
            f"({MAX_CLASS_VALUE} = void): re-save it as an 8-bit image of class ids")


def split_encoding_problems(values_by_split: dict[str, set[int]]) -> list[str]:
    """Binary grey masks whose splits use another foreground value (train 0/255, val 0/1): one split would
    be read as all background or all void. Multi-class masks are left alone (a small split may hold only
    a class the other's sampled masks lack)."""
    foreground = {split: values - {0} for split, values in values_by_split.items() if len(values - {0}) == 1}
    splits = sorted(foreground)
    problems = []
    for index, first in enumerate(splits):
        for second in splits[index + 1:]:
            if not foreground[first] & foreground[second]:
                problems.append(f"{first} masks hold values {_values(values_by_split[first])}, {second} masks "
                                f"{_values(values_by_split[second])}: the splits encode the classes differently "
                                f"(re-save one split's masks with the other's values)")
    return problems


def _values(values: set[int], limit: int = 6) -> str:
    ordered = sorted(values)
    return ", ".join(map(str, ordered[:limit])) + (" ..." if len(ordered) > limit else "")
