"""``motiongen inspect`` on a Slovo folder: every annotated video probed (frames, fps, size) and
checked against its annotation and the official landmark JSON; rows without a video and videos
without a row are listed. Nothing is written."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from motiongen.core.errors import InputFileError
from motiongen.datasets.report import (
    ERROR,
    WARNING,
    Problem,
    Report,
    ReportTable,
    VideoRow,
    inspect_video,
    read_file_report,
    reason,
)
from motiongen.datasets.slovo.videos import ANNOTATIONS, SPLITS, read_official_hands


def looks_like_slovo(root: Path) -> bool:
    """A folder with an ``annotations.csv``, or with videos and no BVH file."""
    from motiongen.formats.video import VIDEO_SUFFIXES

    if (root / ANNOTATIONS).is_file():
        return True
    suffixes = {p.suffix.lower() for p in root.rglob("*") if p.is_file()}
    return bool(suffixes & set(VIDEO_SUFFIXES)) and ".bvh" not in suffixes


def _official_frame_counts(path: Path, report: Report) -> dict[str, int]:
    try:
        return {video_id: len(hands) for video_id, hands in read_official_hands(path).items()}
    except InputFileError as err:
        report.problems.append(Problem(str(path), ERROR, reason(err)))
        return {}


def _format(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _tables(report: Report) -> list[ReportTable]:
    """One row per video, then the videos, signers and labels per split."""
    videos = ReportTable(f"{report.path}: {len(report.videos)} videos",
                         ["video", "signer", "label", "split", "frames", "fps", "size", "problems"])
    for row in report.videos:
        facts = row.file.facts
        state = "ERR" if row.file.has_error else (str(len(row.file.problems)) if row.file.problems else "")
        videos.rows.append([row.video_id, row.signer, row.label, row.split, str(facts.get("frames", "-")),
                            _format(facts["fps"]) if "fps" in facts else "-", str(facts.get("size", "-")), state])
    counts = ReportTable("videos, signers and labels per split", ["split", "videos", "signers", "labels"])
    for split in SPLITS:
        mine = [row for row in report.videos if row.split == split]
        counts.rows.append([split, str(len(mine)), str(len({r.signer for r in mine})), str(len({r.label for r in mine}))])
    return [videos, counts]


def inspect_slovo(corpus, progress: Callable | None = None) -> Report:
    """Inventory the folder of ``corpus`` (a :class:`~motiongen.datasets.slovo.SlovoCorpus`): its
    videos with their annotation and file report, the problems, and the tables to print."""
    root = corpus.root
    report = Report(str(root), corpus.name)
    try:
        folder = corpus.folder()
    except InputFileError as err:
        report.problems.append(Problem(str(err.path), ERROR, reason(err)))
        return report
    report.problems.extend(Problem(where, WARNING, message) for where, message in folder.problems)
    official = _official_frame_counts(folder.official_landmarks, report) if folder.official_landmarks else {}
    videos = progress(folder.videos) if progress is not None else folder.videos
    for video in videos:
        file_report = read_file_report(video.path, "video", inspect_video)
        file_report.warn(list(video.problems))
        frames = file_report.facts.get("frames")
        if frames is not None and video.length >= 0 and frames != video.length:
            file_report.warn([f"the annotation says {video.length} frames, the video has {frames}"])
        if file_report.facts.get("size") not in (None, f"{video.width}x{video.height}"):
            file_report.warn([f"the annotation says {video.width}x{video.height}, the video is {file_report.facts['size']}"])
        if frames is not None and video.attachment_id in official and official[video.attachment_id] != frames:
            file_report.warn([f"{folder.official_landmarks.name} has {official[video.attachment_id]} frames "
                              f"for this video, the video has {frames}"])
        report.videos.append(VideoRow(video.attachment_id, video.signer, video.label, video.split, file_report))
    if not folder.videos:
        report.problems.append(Problem(str(root), ERROR, "no annotated video found"))
    report.tables = _tables(report) if report.videos else []
    return report
