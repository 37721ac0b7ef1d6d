"""Turn SIGTERM (kill) into the same orderly stop as Ctrl-C while training runs."""
from __future__ import annotations

import signal
from typing import Self


class StopSignals:
    """The handler only records the request; the loop acts on it between steps (`check`), so the stop
    never lands half-way through a checkpoint or TensorBoard write."""

    def __enter__(self) -> Self:
        self.requested = False
        self.previous = signal.getsignal(signal.SIGTERM)
        try:
            signal.signal(signal.SIGTERM, self._request)
        except ValueError:  # not in the main thread: leave signals alone
            self.previous = None
        return self

    def _request(self, signum, frame) -> None:
        self.requested = True

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
