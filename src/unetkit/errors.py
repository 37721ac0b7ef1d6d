"""User-facing errors. The CLI prints them as one line and exits with code 2."""


class UnetkitError(Exception):
    """Base class for errors caused by the user's input, not by a bug. Always one line: a line break
    that came in with the input (a key, a value, a file name) is shown escaped."""

    def __str__(self) -> str:
        return super().__str__().replace("\r", "\\r").replace("\n", "\\n")


class ConfigError(UnetkitError):
    """A config file or key=value override is wrong (unknown key, wrong type, bad value)."""


class DataError(UnetkitError):
    """A dataset file is missing, unreadable, or inconsistent with its partner files."""


class CheckpointError(UnetkitError):
    """A checkpoint file is missing, corrupt, or not a unetkit checkpoint."""


class ExportError(UnetkitError):
    """An exported model cannot be written, read, or does not reproduce its checkpoint."""


class StorageError(UnetkitError):
    """A file could not be written (disk full, no permission); what was there before is untouched."""


class OutOfMemory(UnetkitError):
    """A batch or tile did not fit in memory; the message says which setting to lower."""
