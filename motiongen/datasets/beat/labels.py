"""Shared parsing for BEAT's per-take segment label files (emotion ``.csv``, semantic ``.txt``).

Both are header-less tables of ``name, start, end, duration, score[, ...]`` rows with times in
seconds; these helpers split the lines and check the times, naming the file and line on failure.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from motiongen.core.errors import InputFileError

log = logging.getLogger(__name__)

# Tolerance for the redundant duration column and for touching segments, seconds: BEAT writes
# times with 3 decimals, so end - start and duration may differ by up to 1.5 ms after rounding.
_DURATION_EPS = 2e-3


def parse_number(path: Path, line: int, column: str, text: str) -> float:
    """``text`` as a finite float, or an error naming the file, line and column."""
    try:
        value = float(text)
    except ValueError:
        raise InputFileError(path, f"{column} {text.strip()!r} is not a number", line=line) from None
    if not math.isfinite(value):
        raise InputFileError(path, f"{column} is {value}", line=line)
    return value


def read_segment_lines(path: Path, separator: str) -> list[tuple[int, list[str]]]:
    """Non-blank lines of a label file split on ``separator``, with their 1-based line numbers."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputFileError(path, f"cannot read: {err}") from None
    rows = [(i, line.rstrip("\r\n").split(separator)) for i, line in enumerate(text.split("\n"), start=1) if line.strip()]
    if not rows:
        raise InputFileError(path, "empty label file")
    return rows


def check_times(path: Path, line: int, start: float, end: float, duration: float, warnings: list[str]) -> None:
    """Fail when ``end < start`` or a time is negative; warn when ``duration != end - start``."""
    if start < 0 or end < start:
        raise InputFileError(path, f"segment [{start}, {end}] has a negative start or ends before it starts", line=line)
    if abs((end - start) - duration) > _DURATION_EPS:
        message = f"line {line}: duration {duration} differs from end - start = {end - start:.6g}"
        warnings.append(message)
        log.warning("%s: %s", path, message)


def warn_overlaps(path: Path, starts: list[float], ends: list[float], lines: list[int], warnings: list[str]) -> None:
    """Record a warning for each segment that starts before the previous one ends."""
    for i in range(1, len(starts)):
        if starts[i] < ends[i - 1] - _DURATION_EPS:
            message = f"line {lines[i]}: segment starting at {starts[i]} overlaps or precedes the previous one (ends {ends[i - 1]})"
            warnings.append(message)
            log.warning("%s: %s", path, message)
