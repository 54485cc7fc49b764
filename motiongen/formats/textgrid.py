"""Praat TextGrid word/phone alignments as timed intervals.

Parsing is done by the maintained ``praat-textgrids`` package (import name ``textgrids``), which
reads the long and short text formats and Praat's binary format. (Its binary reader, 1.4.0,
overwrites the file's time range with the last interval's, so for binary files the duration is
taken from the extent of the intervals instead.) This module adds what the corpus
needs on top: a plain :class:`Interval` type, tier checks (required tiers present, intervals sorted
and not overlapping) and errors that name the file.

Empty labels mean silence and are kept as intervals with ``label == ""``.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from pathlib import Path

import textgrids

from motiongen.core.errors import InputFileError

log = logging.getLogger(__name__)

REQUIRED_TIERS: tuple[str, ...] = ("words", "phones")

# Overlap tolerance in seconds: aligners write boundaries rounded to ~1e-6 s.
_EPS = 1e-6

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


@dataclass(frozen=True)
class Interval:
    """A labelled stretch of time: ``start`` and ``end`` in seconds, ``label`` ("" = silence)."""

    start: float
    end: float
    label: str

    @property
    def duration(self) -> float:
        return self.end - self.start


class TextGridTiers(dict):
    """``{tier name: [Interval, ...]}`` for the interval tiers of one file.

    Attributes:
        duration: seconds, the TextGrid's ``xmax - xmin``.
        warnings: recorded non-fatal problems (e.g. point tiers that were not read).
    """

    def __init__(self, tiers: dict[str, list[Interval]], duration: float, warnings: list[str]):
        super().__init__(tiers)
        self.duration = duration
        self.warnings = warnings


def _utf8(data: bytes) -> bytes:
    """Re-encode UTF-8-BOM / UTF-16 text as plain UTF-8, which is what ``textgrids`` parses.

    ``textgrids`` 1.4 understands only BOM-less UTF-8 and big-endian UTF-16 text; Praat also writes
    little-endian UTF-16 and editors add UTF-8 BOMs.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding).lstrip("\ufeff").encode("utf-8")
    return data


def _check_tier(path: Path, name: str, intervals: list[Interval]) -> None:
    """Fail on intervals that are out of time order or overlap (``textgrids`` itself rejects an
    interval ending before it starts)."""
    for i, interval in enumerate(intervals):
        if i and interval.start < intervals[i - 1].end - _EPS:
            previous = intervals[i - 1]
            problem = "is out of order" if interval.start < previous.start else "overlaps the previous one"
            raise InputFileError(
                path,
                f"tier {name!r} interval {i + 1} [{interval.start}, {interval.end}] {problem} "
                f"[{previous.start}, {previous.end}]",
            )


def read_textgrid(path: str | Path, required_tiers: tuple[str, ...] = REQUIRED_TIERS) -> TextGridTiers:
    """Read the interval tiers of a TextGrid.

    Args:
        path: a ``.TextGrid`` file (long, short or binary Praat format).
        required_tiers: tiers that must be present (BEAT: ``words`` and ``phones``); pass ``()`` to
            accept any.

    Returns:
        :class:`TextGridTiers` mapping each interval tier's name to its intervals in time order.

    Raises:
        InputFileError: missing file, not a TextGrid, malformed content, a required tier missing,
            intervals unsorted or overlapping.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except OSError as err:
        raise InputFileError(path, f"cannot read: {err}") from None
    if not data.strip():
        raise InputFileError(path, "empty file")
    grid = textgrids.TextGrid()
    try:
        grid.parse(_utf8(data))
    except TypeError:
        raise InputFileError(path, "not a Praat TextGrid (missing 'File type = \"ooTextFile\"' / 'Object class = \"TextGrid\"' header)") from None
    except (ValueError, IndexError, KeyError, UnicodeDecodeError, struct.error, textgrids.BinaryError) as err:
        detail = f": {err}" if str(err) else ""
        raise InputFileError(path, f"malformed TextGrid ({type(err).__name__}{detail})") from None
    warnings: list[str] = []
    tiers: dict[str, list[Interval]] = {}
    for name, tier in grid.items():
        if tier.is_point_tier:
            message = f"point tier {name!r} not read (only interval tiers are used)"
            warnings.append(message)
            log.warning("%s: %s", path, message)
            continue
        intervals = [Interval(float(item.xmin), float(item.xmax), str(item.text).strip()) for item in tier]
        _check_tier(path, name, intervals)
        tiers[name] = intervals
    missing = [name for name in required_tiers if name not in tiers]
    if missing:
        raise InputFileError(path, f"missing tier(s) {missing}; found {sorted(grid.keys())}")
    intervals = [interval for tier in tiers.values() for interval in tier]
    if data.startswith(b"ooBinaryFile") and intervals:
        duration = max(i.end for i in intervals) - min(i.start for i in intervals)
    else:
        duration = float(grid.xmax) - float(grid.xmin)
    return TextGridTiers(tiers, duration, warnings)
