"""User-facing errors. The CLI prints them as one line and exits with their `exit_code`: 2, or 1 where
the input was understood but held nothing to work on (README, "Exit codes")."""


class UnetkitError(Exception):
    """Base class for errors caused by the user's input, not by a bug. Always one line: a line break
    that came in with the input (a key, a value, a file name) is shown escaped."""
    exit_code = 2

    def __str__(self) -> str:
        return super().__str__().replace("\r", "\\r").replace("\n", "\\n")


class ConfigError(UnetkitError):
    """A config file or key=value override is wrong (unknown key, wrong type, bad value)."""


class DataError(UnetkitError):
    """A dataset file is missing, unreadable, or inconsistent with its partner files."""


class NoInputs(DataError):
    """predict / cam found no image among the inputs it was given (an empty folder): nothing came out."""
    exit_code = 1


class CheckpointError(UnetkitError):
    """A checkpoint file is missing, corrupt, or not a unetkit checkpoint."""


class ExportError(UnetkitError):
    """An exported model cannot be written, read, or does not reproduce its checkpoint."""


class StorageError(UnetkitError):
    """A file could not be written (disk full, no permission); what was there before is untouched."""


class OutOfMemory(UnetkitError):
    """A batch or tile did not fit in memory; the message says which setting to lower."""


class OutputError(UnetkitError):
    """An output path cannot be used (a file where a folder is wanted, a folder where a file is, a path
    under a file, no permission); said before any work is done."""
