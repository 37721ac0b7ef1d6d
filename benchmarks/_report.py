"""Shared by the benchmark scripts: the machine's description and appending a dated section to
docs/benchmarks.md (issue 5: every script prints its table and records it with date and machine)."""
from __future__ import annotations

import platform
import sys
from datetime import date
from pathlib import Path

import torch

BENCHMARKS_MD = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def machine() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name()}, torch {torch.__version__}"
    return f"CPU ({platform.processor() or platform.machine()}), {torch.get_num_threads()} threads, torch {torch.__version__}"


def command_line() -> str:
    return "python " + " ".join([Path(sys.argv[0]).as_posix()] + sys.argv[1:])


def append_report(title: str, lines: list[str], append: bool = True) -> None:
    """Print the section and, unless append=False, add it to docs/benchmarks.md."""
    section = "\n".join([f"\n### {title}, {date.today()}, {machine()}, host {platform.node()}",
                         f"`{command_line()}`\n", *lines]) + "\n"
    print(section)
    if append:
        with open(BENCHMARKS_MD, "a") as file:
            file.write(section)
