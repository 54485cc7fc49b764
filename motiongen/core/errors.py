"""Exceptions raised at the input boundary.

Every reader validates what it is given and raises :class:`InputFileError` naming the file, the
line (when it is a text format) and the reason, so a user can fix the file without a debugger.
"""

from __future__ import annotations

from pathlib import Path


class MotiongenError(Exception):
    """Base class for all errors motiongen raises on purpose."""


class InputFileError(MotiongenError, ValueError):
    """A file that cannot be used as it is.

    Args:
        path: the offending file.
        reason: what is wrong, in words a user can act on.
        line: 1-based line number for text formats, when known.
    """

    def __init__(self, path: str | Path, reason: str, line: int | None = None):
        self.path = Path(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line is not None else f"{self.path}"
        super().__init__(f"{where}: {reason}")


class ConfigError(MotiongenError, ValueError):
    """A configuration value that cannot work (names the key and the reason)."""
