"""What ``motiongen inspect`` reports, as plain data: the report types every corpus's inspection
(:meth:`motiongen.datasets.base.Corpus.inspect`) and the file inspection (:mod:`motiongen.datasets.inspection`)
fill, and the never-raising wrapper around a file reader.

Every reader's failure becomes a :class:`Problem` on the file's :class:`FileReport` instead of an
exception, so one bad file never hides the others. Rendering (rich tables, JSON) lives in the
``inspect`` command.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from motiongen.core.errors import InputFileError

log = logging.getLogger(__name__)

ERROR, WARNING = "error", "warning"

@dataclass
class Problem:
    """One thing wrong: ``severity`` is ``"error"`` (the file cannot be used as it is) or
    ``"warning"`` (it was read, with the recorded caveat)."""

    path: str
    severity: str
    message: str


@dataclass
class FileReport:
    """What one file holds (``facts``: frames, fps, duration in seconds, joints, names, tiers, ...)
    and its problems. ``kind`` names the reader used."""

    path: str
    kind: str
    facts: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def has_error(self) -> bool:
        return any(problem.severity == ERROR for problem in self.problems)

    def error(self, message: str) -> None:
        self.problems.append(Problem(self.path, ERROR, message))

    def warn(self, messages: list[str]) -> None:
        """Record reader warnings, dropping a leading ``<path>:`` that readers may have added."""
        for message in messages:
            prefix = f"{self.path}:"
            if message.startswith(prefix):
                line, _, rest = message[len(prefix):].partition(": ")
                message = f"line {line}: {rest}" if line.isdigit() else message[len(prefix):].lstrip()
            self.problems.append(Problem(self.path, WARNING, message))


@dataclass
class TakeReport:
    """One corpus take: its name parts, split (or why none), and each modality's file report."""

    take_id: str
    speaker_id: int
    speaker_name: str
    take_type: int
    start: int
    end: int
    split: str | None
    split_note: str
    missing: list[str]
    files: dict[str, FileReport]


@dataclass
class VideoRow:
    """One annotated video of a Slovo corpus: its annotation and the report of its file."""

    video_id: str
    signer: str
    label: str
    split: str
    file: FileReport


@dataclass
class ReportTable:
    """A table a corpus's inspection adds to its report (e.g. one row per video, counts per split):
    ``rows`` of display strings, one per column; the ``inspect`` command prints it as it is."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Report:
    """The whole inspection: single files (``files``), a BEAT corpus (``takes``) or a Slovo corpus
    (``videos``), plus ``problems`` not tied to one readable file: misnamed files, split CSV notes,
    duration mismatches, annotation rows without a video and videos without a row."""

    path: str
    kind: str
    files: list[FileReport] = field(default_factory=list)
    takes: list[TakeReport] = field(default_factory=list)
    videos: list[VideoRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    modalities: list[str] = field(default_factory=list)  # a corpus's modality columns, in order
    tables: list[ReportTable] = field(default_factory=list)  # a corpus's own tables, printed as they are

    def all_problems(self) -> list[Problem]:
        """Every problem: corpus-level first, then per file in order."""
        file_reports = self.files + [report for take in self.takes for report in take.files.values()]
        file_reports += [row.file for row in self.videos]
        return self.problems + [problem for report in file_reports for problem in report.problems]

    @property
    def has_error(self) -> bool:
        return any(problem.severity == ERROR for problem in self.all_problems())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (paths as strings, numbers as Python floats/ints)."""
        data = asdict(self)
        errors = sum(problem.severity == ERROR for problem in self.all_problems())
        data["summary"] = {"errors": errors, "warnings": len(self.all_problems()) - errors}
        return data


def reason(err: InputFileError) -> str:
    """The reason of a reader's error, with its line when it has one."""
    return err.reason if err.line is None else f"line {err.line}: {err.reason}"


def read_file_report(path: str | Path, kind: str, reader: Callable[[Path, FileReport], None]) -> FileReport:
    """Run ``reader`` on one file and report its facts and problems; never raises for a bad file
    (an unexpected exception is reported as an error too)."""
    path = Path(path)
    report = FileReport(str(path), kind)
    try:
        reader(path, report)
    except InputFileError as err:
        report.error(reason(err))
    except Exception as err:  # report, never crash: one broken file must not hide the others
        log.debug("unexpected failure inspecting %s", path, exc_info=True)
        report.error(f"unexpected {type(err).__name__}: {err}")
    return report


def inspect_video(path: Path, report: FileReport) -> None:
    """Frames, fps, duration, size and codec of a video file (pictures and timing only)."""
    from motiongen.formats.video import probe_video

    info = probe_video(path)
    report.facts.update(frames=info.frame_count, fps=info.fps, duration=info.duration,
                        size=f"{info.width}x{info.height}", codec=info.codec)
    if info.rotation_degrees:
        report.warn([f"display rotation {info.rotation_degrees} degrees is not applied to the decoded frames"])
