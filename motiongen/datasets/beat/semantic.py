"""BEAT semantic-relevance labels (``.txt``), the ground truth of the SRGR metric.

Layout (no header, TAB separated, one row per annotated gesture segment)::

    01_beat_align\t0\t3.119\t3.119\t0.1
    07_iconic_h\t3.119\t4.785\t1.666\t0.7\trelaxing

columns: ``name`` (``NN_category[_level]``), ``start`` s, ``end`` s, ``duration`` s, ``score`` in
[0, 1], and optional ``keywords`` (free text, may contain spaces). BEAT's 10-scale relevance: 0 no
gesture, 1 beat, 2-4 deictic low/middle/high, 5-7 iconic, 8-10 metaphoric; ``score`` is that class
divided by 10 (``07_iconic_h`` -> 0.7). A score that disagrees with the name prefix is recorded as
a warning; the file's score is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from motiongen.datasets.beat.labels import check_times, parse_number, read_segment_lines, warn_overlaps
from motiongen.core.errors import InputFileError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SemanticSegment:
    """One annotated segment: seconds ``start``/``end``, relevance ``score`` in [0, 1], the
    ``category`` name as written (e.g. ``07_iconic_h``) and its ``keywords`` ("" when none)."""

    start: float
    end: float
    score: float
    category: str
    keywords: str


@dataclass
class SemanticLabels:
    """Parsed semantic file: ``segments`` in file order and recorded ``warnings``."""

    segments: list[SemanticSegment]
    warnings: list[str] = field(default_factory=list)


def read_semantic_labels(txt_path: str | Path) -> SemanticLabels:
    """Read a BEAT semantic-relevance ``.txt`` (see the module docstring for the layout).

    Raises:
        InputFileError: missing/empty file, fewer than 5 columns, non-numbers, score outside
            [0, 1], negative or reversed times (with the line).
    """
    path = Path(txt_path)
    warnings: list[str] = []
    segments: list[SemanticSegment] = []
    lines: list[int] = []
    for line, cells in read_segment_lines(path, "\t"):
        if len(cells) < 5:
            raise InputFileError(
                path, f"{len(cells)} tab-separated columns; expected name, start, end, duration, score[, keywords]", line=line
            )
        category = cells[0].strip()
        start, end, duration, score = (
            parse_number(path, line, column, text) for column, text in zip(("start", "end", "duration", "score"), cells[1:5])
        )
        if not 0.0 <= score <= 1.0:
            raise InputFileError(path, f"relevance score {score} outside [0, 1]", line=line)
        check_times(path, line, start, end, duration, warnings)
        prefix = category.split("_", 1)[0]
        if prefix.isdigit() and abs(int(prefix) / 10.0 - score) > 1e-6:
            message = f"line {line}: score {score} disagrees with category {category!r} (expects {int(prefix) / 10})"
            warnings.append(message)
            log.warning("%s: %s", path, message)
        keywords = "\t".join(cells[5:]).strip()
        segments.append(SemanticSegment(start, end, score, category, keywords))
        lines.append(line)
    warn_overlaps(path, [s.start for s in segments], [s.end for s in segments], lines, warnings)
    return SemanticLabels(segments, warnings)
