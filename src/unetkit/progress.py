"""Progress that suits where it goes: tqdm's live bar on a terminal; on a file or a pipe (CI logs,
`nohup`, `> train.log`) a plain line at most every `every` seconds and one at the end, so a log holds
a few lines instead of a redraw per step (a 15-epoch DRIVE run used to leave megabytes of bars).

`progress(...)` returns an object with tqdm's interface as unetkit uses it (iterate, update,
set_postfix, close), so callers do not care which kind they got.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, Any

DEFAULT_EVERY_SECONDS = 60.0


def to_terminal(stream: IO[str] | None = None) -> bool:
    """Whether `stream` (default stderr, where progress goes) is an interactive terminal."""
    stream = stream if stream is not None else sys.stderr
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):   # closed or replaced streams
        return False


class LineProgress:
    """A plain line now and then: `desc: n/total unit, rate unit/s, key=value ...`."""

    def __init__(self, iterable: Iterable | None, desc: str, unit: str, total: int | None, every: float,
                 stream: IO[str], final_line: bool = True):
        self.iterable, self.desc, self.unit, self.every, self.stream = iterable, desc, unit, every, stream
        self.total = total if total is not None else _length(iterable)
        self.final_line = final_line
        self.n, self.postfix, self.closed = 0, {}, False
        self.started = self.last_line = time.perf_counter()

    def __iter__(self) -> Iterator:
        for item in self.iterable or ():
            yield item
            self.update()
        self.close()

    def update(self, count: int = 1) -> None:
        self.n += count
        if time.perf_counter() - self.last_line >= self.every:
            self._line()

    def set_postfix(self, **values: Any) -> None:
        self.postfix = values

    def close(self) -> None:
        if not self.closed and self.final_line and self.n:
            self._line()
        self.closed = True

    def _line(self) -> None:
        now = time.perf_counter()
        self.last_line = now
        elapsed = now - self.started
        count = f"{self.n}/{self.total}" if self.total else str(self.n)
        rate = f", {self.n / elapsed:.2f} {self.unit}/s" if elapsed > 0 else ""
        extra = "".join(f", {key}={value}" for key, value in self.postfix.items())
        print(f"{self.desc}: {count} {self.unit} in {elapsed:.0f} s{rate}{extra}", file=self.stream, flush=True)


class SilentProgress(LineProgress):
    """Progress turned off (train.progress=false, a single input): iterates, prints nothing."""

    def _line(self) -> None:
        pass


def progress(iterable: Iterable | None = None, desc: str = "", unit: str = "it", total: int | None = None,
             enabled: bool = True, every: float = DEFAULT_EVERY_SECONDS, stream: IO[str] | None = None,
             final_line: bool = True, leave: bool = False):
    """tqdm on a terminal, LineProgress elsewhere, SilentProgress when not `enabled`."""
    stream = stream if stream is not None else sys.stderr
    if not enabled:
        return SilentProgress(iterable, desc, unit, total, every, stream)
    if to_terminal(stream):
        from tqdm import tqdm
        return tqdm(iterable, desc=desc, unit=unit, total=total, leave=leave, dynamic_ncols=True, file=stream)
    return LineProgress(iterable, desc, unit, total, every, stream, final_line)


def _length(iterable: Iterable | None) -> int | None:
    try:
        return len(iterable)   # type: ignore[arg-type]
    except TypeError:
        return None
