"""Writing files so that a crash or kill never leaves a half-written one behind (temp file + rename)."""
from __future__ import annotations

import json
import os
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from .errors import StorageError

# Test hook (tests/train/test_faults.py): with this variable set to N, the process kills itself
# (SIGKILL, as `kill -9` would) inside its Nth atomic write, after the data and before the rename.
KILL_AT_WRITE_ENV = "UNETKIT_TEST_KILL_AT_WRITE"
_writes_done = 0
TEMPORARY_SUFFIX = ".tmp"


def write_atomically(path: str | Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Call `write(file)` on a temporary file beside `path`, flush it to disk, then rename it over `path`.

    A crash at any moment leaves either the old file or the new one, never a mix; a failed write
    (disk full, no permission) removes the temporary file and is a StorageError that says the old
    file is untouched."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent)
    except OSError as error:
        raise StorageError(f"{path}: cannot be written ({error.strerror or error})") from None
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        _kill_here_if_asked()
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        kept = f"; the previous {path.name} is untouched" if path.exists() else ""
        raise StorageError(f"{path}: cannot be written ({error.strerror or error}){kept}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path



def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Delete what writes killed before their rename left behind (`.<name>.*.tmp`); returns them."""
    stale = sorted(Path(folder).glob(f".*{TEMPORARY_SUFFIX}"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _kill_here_if_asked() -> None:
    global _writes_done
    target = os.environ.get(KILL_AT_WRITE_ENV)
    if target:
        _writes_done += 1
        if _writes_done == int(target):
            os.kill(os.getpid(), signal.SIGKILL)


def write_json(values: Any, path: str | Path) -> Path:
    """Pretty-printed JSON, written atomically."""
    text = (json.dumps(values, indent=2) + "\n").encode()
    return write_atomically(path, lambda file: file.write(text))
