"""What ``motiongen inspect`` finds in a file or in the folder of the corpus that recognises it
(:meth:`motiongen.datasets.base.Corpus.inspect`, which reads every file of its takes with
:func:`inspect_file` and :func:`report_takes`), as plain data.

Every reader's failure becomes a :class:`Problem` on the file's :class:`FileReport` instead of an
exception, so one bad file never hides the others. Rendering (rich tables, JSON) lives in
:mod:`motiongen.commands.inspect`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from motiongen.datasets.report import (
    ERROR,
    WARNING,
    FileReport,
    Problem,
    Report,
    TakeReport,
    inspect_video,
    read_file_report,
    reason,
)

log = logging.getLogger(__name__)

# Modalities of one take whose durations differ by more than this many seconds get a warning.
DURATION_MISMATCH_S = 1.0


def _inspect_bvh(path: Path, report: FileReport) -> None:
    from motiongen.formats.bvh import TruncatedBvhError, read_bvh

    motion = read_bvh(path, allow_truncated=True)
    if motion.warnings:
        try:
            read_bvh(path)
        except TruncatedBvhError as strict:
            report.error(f"{reason(strict.with_remedy(None))} (the facts shown come from the complete rows)")
    report.warn(motion.warnings)
    skeleton = motion.skeleton
    report.facts.update(
        frames=motion.num_frames,
        fps=motion.fps,
        duration=motion.duration,
        joints=skeleton.num_joints,
        channels=skeleton.num_channels,
        root=skeleton.names[0],
        joint_names=list(skeleton.names),
    )


def _face_facts(curves, report: FileReport) -> None:
    report.warn(curves.warnings)
    report.facts.update(
        frames=curves.num_frames,
        fps=curves.fps,
        duration=curves.duration,
        blendshapes=len(curves.source_names),
        blendshape_names=list(curves.source_names),
        start_time=curves.start_time,
    )


def _inspect_face_json(path: Path, report: FileReport) -> None:
    from motiongen.formats.arkit import read_beat_face_json

    _face_facts(read_beat_face_json(path), report)


def _inspect_live_link(path: Path, report: FileReport) -> None:
    from motiongen.formats.arkit import read_live_link_csv

    _face_facts(read_live_link_csv(path), report)


def _inspect_audio(path: Path, report: FileReport) -> None:
    from motiongen.formats.audio import describe_audio

    summary = describe_audio(path)
    report.warn(summary.warnings)
    info = summary.info
    report.facts.update(
        duration=info.duration,
        sample_rate=info.sample_rate,
        channels=info.channels,
        samples=info.num_samples,
        encoding=info.encoding,
        peak=summary.peak,
    )


def _inspect_textgrid(path: Path, report: FileReport) -> None:
    from motiongen.formats.textgrid import read_textgrid

    tiers = read_textgrid(path)
    report.warn(tiers.warnings)
    report.facts.update(
        duration=tiers.duration,
        tiers={name: len(intervals) for name, intervals in tiers.items()},
        words=sum(1 for interval in tiers.get("words", []) if interval.label),
    )


def _inspect_smplx(path: Path, report: FileReport) -> None:
    from motiongen.formats.smplx_motion import read_smplx_motion

    motion = read_smplx_motion(path)
    report.warn(motion.warnings)
    report.facts.update(
        frames=motion.num_frames,
        fps=motion.fps,
        duration=motion.duration,
        joints=motion.poses.shape[1] // 3,
        expressions=motion.expressions.shape[1],
        betas=len(motion.betas),
        gender=motion.gender,
        model=motion.model,
    )


def _inspect_emotion(path: Path, report: FileReport) -> None:
    from motiongen.datasets.beat.emotions import EMOTIONS, read_emotion_labels

    labels = read_emotion_labels(path)
    report.warn(labels.warnings)
    report.facts.update(
        segments=len(labels.segments),
        emotions=[EMOTIONS[e] for e in labels.emotions],
        duration=max(segment.end for segment in labels.segments),
    )


def _inspect_semantic(path: Path, report: FileReport) -> None:
    from motiongen.datasets.beat.semantic import read_semantic_labels

    labels = read_semantic_labels(path)
    report.warn(labels.warnings)
    scores = [segment.score for segment in labels.segments]
    report.facts.update(
        segments=len(labels.segments),
        mean_score=sum(scores) / len(scores),
        duration=max(segment.end for segment in labels.segments),
    )


_INSPECTORS: dict[str, Callable[[Path, FileReport], None]] = {
    "bvh": _inspect_bvh,
    "face_json": _inspect_face_json,
    "live_link_csv": _inspect_live_link,
    "audio": _inspect_audio,
    "textgrid": _inspect_textgrid,
    "emotion_csv": _inspect_emotion,
    "semantic_txt": _inspect_semantic,
    "video": inspect_video,
    "smplx_npz": _inspect_smplx,
}
_KIND_BY_SUFFIX = {
    ".bvh": "bvh",
    ".json": "face_json",
    ".wav": "audio",
    ".flac": "audio",
    ".mp3": "audio",
    ".textgrid": "textgrid",
    ".txt": "semantic_txt",
    **{suffix: "video" for suffix in (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")},
    ".npz": "smplx_npz",
}


def file_kind(path: Path) -> str | None:
    """Reader for a file by its extension; a ``.csv`` whose first line starts with ``Timecode``
    is a Live Link Face CSV, any other ``.csv`` a BEAT emotion label file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            with open(path, encoding="utf-8-sig", errors="replace") as handle:
                first = handle.readline()
        except OSError:
            return "emotion_csv"
        return "live_link_csv" if first.lstrip().startswith("Timecode") else "emotion_csv"
    return _KIND_BY_SUFFIX.get(suffix)


def inspect_file(path: str | Path, kind: str | None = None) -> FileReport:
    """Read one file with the reader for its kind and report facts and problems; never raises
    for a bad file (:func:`~motiongen.datasets.report.read_file_report`)."""
    path = Path(path)
    kind = kind or file_kind(path)
    if kind is None:
        report = FileReport(str(path), "unknown")
        report.error(f"unsupported file type {path.suffix or '(no extension)'!r}")
        return report
    return read_file_report(path, kind, _INSPECTORS[kind])


def _duration_mismatch(take: TakeReport) -> Problem | None:
    """A warning when the timed modalities of a take (motion, face, audio, transcript) disagree."""
    durations = {
        modality: report.facts["duration"]
        for modality, report in take.files.items()
        if modality in ("bvh", "json", "wav", "TextGrid", "smplx") and "duration" in report.facts
    }
    if len(durations) < 2 or max(durations.values()) - min(durations.values()) <= DURATION_MISMATCH_S:
        return None
    listing = ", ".join(f"{modality} {seconds:.2f} s" for modality, seconds in durations.items())
    return Problem(take.take_id, WARNING, f"modalities cover different durations: {listing}")


def report_takes(report: Report, takes, kinds: dict[str, str], split_of: Callable, progress: Callable | None) -> None:
    """Read every file of every take into ``report``: one :class:`TakeReport` per take (split and
    note from ``split_of(take)``; each modality's file read as ``kinds[modality]``), and a problem
    for each take whose files disagree on its duration."""
    for take in progress(takes) if progress is not None else takes:
        split, split_note = split_of(take)
        take_report = TakeReport(
            take_id=take.take_id,
            speaker_id=take.speaker_id,
            speaker_name=take.speaker_name,
            take_type=take.take_type,
            start=take.start,
            end=take.end,
            split=split,
            split_note=split_note,
            missing=list(take.missing),
            files={modality: inspect_file(path, kinds[modality]) for modality, path in take.files.items()},
        )
        mismatch = _duration_mismatch(take_report)
        if mismatch is not None:
            report.problems.append(mismatch)
        report.takes.append(take_report)


def inspect_path(path: str | Path, split_csv: str | Path | None = None, progress: Callable | None = None) -> Report:
    """Inspect a single file, or the folder of the corpus of ``conf/data`` that recognises it
    (:func:`~motiongen.datasets.corpus_of_folder`; ``split_csv`` replaces its split file)."""
    from motiongen.config import conf_dir
    from motiongen.datasets import corpus_of_folder

    path = Path(path)
    if path.is_dir():
        corpus = corpus_of_folder(path, {"split_csv": str(split_csv)} if split_csv is not None else None)
        if corpus is not None:
            return corpus.inspect(progress)
        report = Report(str(path), "corpus")
        known = ", ".join(sorted(p.stem for p in (conf_dir() / "data").glob("*.yaml")))
        report.problems.append(Problem(str(path), ERROR, f"no corpus of conf/data ({known}) recognises this folder: "
                                       "no take files in a layout they read"))
        return report
    report = Report(str(path), "file")
    if not path.exists():
        report.problems.append(Problem(str(path), ERROR, "no such file or folder"))
        return report
    report.files.append(inspect_file(path))
    return report
