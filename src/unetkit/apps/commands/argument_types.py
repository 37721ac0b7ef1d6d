"""argparse types for the commands' numeric flags and --device: a value out of range is argparse's one
usage error (exit 2) at parse time, before a checkpoint is loaded or an image read."""
from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

DEVICE_FORM = re.compile(r"auto|cpu|mps|cuda(:\d+)?")
DEVICES = "auto, cpu, cuda, cuda:N, mps"


def device(value: str) -> str:
    """auto, cpu, cuda, cuda:N or mps (whether this machine has it is checked when the device is opened)."""
    if not DEVICE_FORM.fullmatch(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a device ({DEVICES})")
    return value


def number_in(kind: type, low: float | None = None, high: float | None = None,
              above: float | None = None) -> Callable[[str], float]:
    """A `kind` (int or float) with low <= value <= high (either may be None), or value > above."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if not math.isfinite(value) or (low is not None and value < low) or (high is not None and value > high) \
                or (above is not None and value <= above):
            raise argparse.ArgumentTypeError(f"{text} is out of range ({_range(low, high, above)})")
        return value
    parse.__name__ = kind.__name__   # argparse names the type in its messages
    return parse


def _range(low, high, above) -> str:
    if above is not None:
        return f"must be above {above:g}"
    if high is None:
        return f"at least {low:g}"
    return f"{low:g} to {high:g}"


positive_int = number_in(int, low=1)
count = number_in(int, low=0)
opacity = number_in(float, 0.0, 1.0)
positive_float = number_in(float, above=0.0)
port = number_in(int, 1, 65535)
