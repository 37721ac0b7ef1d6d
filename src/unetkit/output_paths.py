"""Output paths checked before a command does any work: a folder where a folder is wanted and a file
name where a file is, under a parent that exists or can be made and that this process may write. A
refusal is one OutputError line naming the option and the path, and nothing is created; a prediction
or a report that would only fail after minutes of work fails here instead."""
from __future__ import annotations

import functools
import os
from pathlib import Path

from .errors import OutputError


def _existing_ancestor(start: Path, path: Path, option: str) -> Path:
    """The nearest of `start` and its parents that exists (refusing a file on the way: nothing can be made
    under it); `path` is the output as given, for the message."""
    for ancestor in [start, *start.parents]:
        if ancestor.exists() or ancestor.is_symlink():
            if ancestor != path and not ancestor.is_dir():
                raise OutputError(f"{option} {path}: {ancestor} is a file, so nothing can be made under it")
            return ancestor
    return Path.cwd()


def _writable(folder: Path, path: Path, option: str) -> None:
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {path}: {folder if folder != path else 'the folder'} is not writable "
                          f"(no permission)")


def _checked(check):
    """Run a path check; an OSError on the way (no permission to look, a name too long) is one OutputError."""
    @functools.wraps(check)
    def wrapped(path, option="--out", *args, **kwargs):
        try:
            return check(path, option, *args, **kwargs)
        except OSError as error:
            raise OutputError(f"{option} {path}: cannot be used ({error.strerror or error})") from None
    return wrapped


@_checked
def output_folder(path: str | Path, option: str = "--out", create: bool = True) -> Path:
    """`path` as a folder the command writes into, made if missing (with its parents) unless `create` is
    off (training makes its run folder once the data has been read: a refused run leaves none)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{option} {path}: is a file, not a folder (give a folder, or remove the file)")
    _writable(_existing_ancestor(path, path, option), path, option)
    if not create:
        return path
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{option} {path}: cannot be made ({error.strerror or error})") from None
    return path


@_checked
def output_file(path: str | Path, option: str = "--out") -> Path:
    """`path` as a file the command will write (atomically, later): not a folder, in a folder that exists
    or can be made and is writable, not a file that may not be replaced. Nothing is made here."""
    if str(path).endswith(("/", os.sep)) or Path(path).is_dir():
        raise OutputError(f"{option} {path}: is a folder; give a file name (in it, or elsewhere)")
    path = Path(path)
    _writable(_existing_ancestor(path.parent, path, option), path, option)
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"{option} {path}: the file exists and is not writable (no permission)")
    return path
