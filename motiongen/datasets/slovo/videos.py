"""Discovery of the Slovo Russian Sign Language corpus (Kapitanov et al. 2023) on disk.

Layout::

    <root>/annotations.csv              one row per video (tab- or comma-separated, detected)
    <root>/train/<attachment_id>.mp4    videos, or <root>/test/..., or all directly in <root>
    <root>/slovo_mediapipe.json         optional: the official MediaPipe hand landmarks

``annotations.csv`` columns: ``attachment_id`` (video file stem), ``user_id`` (signer), ``width``,
``height``, ``length`` (frames), ``text`` (the sign's label, Russian; ``no_event`` for clips
without a sign), ``train`` (``True``/``False``: the official signer-disjoint split), ``begin`` and
``end`` (the sign's first and last frame inside the video).

Splits: ``train=False`` rows are ``test``; a validation split is carved from the train rows by
signer (no signer in both): the given ``val_signers``, or signers chosen in a seeded hash order
until ``val_fraction`` of the train videos is reached. ``no_event`` clips are kept as a rest class or dropped (``keep_no_event``).

Nothing is dropped silently: a row without a video, a video without a row, a malformed row or a
repeated id is listed in :attr:`SlovoFolder.problems`; a video's own problems (e.g. its ``begin``/
``end`` outside the clip) in :attr:`SlovoVideo.problems`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from motiongen.core.errors import InputFileError
from motiongen.formats.video import VIDEO_SUFFIXES

ANNOTATIONS = "annotations.csv"
OFFICIAL_LANDMARKS = "slovo_mediapipe.json"
COLUMNS: tuple[str, ...] = ("attachment_id", "user_id", "width", "height", "length", "text", "train", "begin", "end")
NO_EVENT = "no_event"
SPLITS: tuple[str, ...] = ("train", "val", "test")


@dataclass
class SlovoVideo:
    """One annotated clip.

    Attributes:
        attachment_id: video file stem.
        signer: ``user_id`` of the annotation.
        label: the sign (``text``), e.g. ``привет``; ``no_event`` for rest clips.
        split: ``train``, ``val`` or ``test``.
        length: frames according to the annotation.
        begin, end: the sign's first and last frame (annotation; inclusive).
        width, height: pixels according to the annotation.
        path: the video file (None when no file was found: then the video is in ``problems`` too).
        problems: what is wrong with this row.
    """

    attachment_id: str
    signer: str
    label: str
    split: str
    length: int
    begin: int
    end: int
    width: int
    height: int
    path: Path | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class SlovoFolder:
    """The usable videos of a Slovo folder (sorted by id), the label and signer vocabularies and
    every problem found (``(path, message)``)."""

    root: Path
    videos: list[SlovoVideo]
    problems: list[tuple[str, str]] = field(default_factory=list)
    official_landmarks: Path | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        """Sorted sign labels of the usable videos."""
        return tuple(sorted({video.label for video in self.videos}))

    @property
    def signers(self) -> tuple[str, ...]:
        return tuple(sorted({video.signer for video in self.videos}))

    def split_counts(self) -> dict[str, int]:
        return {split: sum(1 for v in self.videos if v.split == split) for split in SPLITS}


def _delimiter(header: str) -> str:
    return "\t" if header.count("\t") > header.count(",") else ","


def read_annotations(path: str | Path) -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
    """Rows of ``annotations.csv`` as dicts (tab or comma separated, detected from the header).

    Returns:
        The rows with all :data:`COLUMNS`, and problems ``(location, message)`` for rows that were
        left out (wrong cell count, empty id).

    Raises:
        InputFileError: missing/unreadable file or a header without the required columns.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputFileError(path, f"cannot read as UTF-8 text: {err}") from None
    lines = text.splitlines()
    if not lines:
        raise InputFileError(path, "empty annotation file")
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(lines[0]))
    header = [cell.strip() for cell in next(reader)]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise InputFileError(path, f"missing columns {missing}; found {header}", line=1)
    rows, problems = [], []
    for line, cells in enumerate(reader, start=2):
        if not cells or all(not cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.append((f"{path}:{line}", f"{len(cells)} cells, the header has {len(header)}; row left out"))
            continue
        row = {name: cell.strip() for name, cell in zip(header, cells)}
        if not row["attachment_id"]:
            problems.append((f"{path}:{line}", "empty attachment_id; row left out"))
            continue
        row["_line"] = str(line)
        rows.append(row)
    return rows, problems


def _integer(row: dict, column: str, problems: list[str]) -> int:
    try:
        return int(float(row[column]))
    except ValueError:
        problems.append(f"{column}={row[column]!r} is not a number")
        return -1


def _is_train(value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    return None


def find_videos(root: Path) -> tuple[dict[str, Path], list[tuple[str, str]]]:
    """Video files under ``root`` (``train/``, ``test/`` or flat, any depth), keyed by file stem;
    a stem found twice is a problem (the first path in sorted order is kept)."""
    found: dict[str, Path] = {}
    problems = []
    for path in sorted(p for p in root.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file()):
        if path.stem in found:
            problems.append((str(path), f"same id as {found[path.stem]}; this copy is ignored"))
            continue
        found[path.stem] = path
    return found, problems


def _signer_order(signer: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{signer}".encode("utf-8")).hexdigest()


def carve_validation(videos: list[SlovoVideo], val_fraction: float, seed: int,
                     val_signers: list[str] | None = None) -> None:
    """Move whole signers from ``train`` to ``val``: the listed ``val_signers`` when given, else
    signers in a seeded hash order until at least ``val_fraction`` of the train videos are in
    ``val`` (at least one signer stays in train)."""
    train = [v for v in videos if v.split == "train"]
    if val_signers is not None:
        chosen = {str(s) for s in val_signers}
        for video in train:
            if video.signer in chosen:
                video.split = "val"
        return
    signers = sorted({v.signer for v in train}, key=lambda s: _signer_order(s, seed))
    if val_fraction <= 0 or len(signers) < 2:
        return
    counts = {s: sum(1 for v in train if v.signer == s) for s in signers}
    target = val_fraction * len(train)
    chosen, moved = set(), 0
    for signer in signers[:-1]:
        if moved >= target:
            break
        chosen.add(signer)
        moved += counts[signer]
    for video in train:
        if video.signer in chosen:
            video.split = "val"


def discover_slovo(
    root: str | Path,
    *,
    annotations: str | Path | None = None,
    keep_no_event: bool = True,
    val_fraction: float = 0.1,
    seed: int = 0,
    val_signers: list[str] | None = None,
) -> SlovoFolder:
    """Read ``annotations.csv``, match its rows to the video files and assign splits.

    Args:
        root: the corpus folder.
        annotations: the annotation file (default ``<root>/annotations.csv``).
        keep_no_event: keep ``no_event`` clips as a rest class (False drops them, listed as problems).
        val_fraction: share of train videos moved to ``val``, by whole signers.
        seed: seeds the signer order of the validation carve-out.
        val_signers: signers whose train videos form ``val`` (instead of ``val_fraction``).

    Raises:
        InputFileError: no folder, or the annotation file is missing or has no usable header.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputFileError(root, "not a folder")
    annotation_path = Path(annotations) if annotations is not None else root / ANNOTATIONS
    rows, problems = read_annotations(annotation_path)
    files, file_problems = find_videos(root)
    problems += file_problems
    videos, seen = [], set()
    for row in rows:
        where = f"{annotation_path}:{row['_line']}"
        video_id = row["attachment_id"]
        if video_id in seen:
            problems.append((where, f"attachment_id {video_id} repeated; the first row is used"))
            continue
        seen.add(video_id)
        own: list[str] = []
        train = _is_train(row["train"])
        if train is None:
            problems.append((where, f"train={row['train']!r} is neither True nor False; row left out"))
            continue
        video = SlovoVideo(
            attachment_id=video_id, signer=row["user_id"], label=row["text"], split="train" if train else "test",
            length=_integer(row, "length", own), begin=_integer(row, "begin", own), end=_integer(row, "end", own),
            width=_integer(row, "width", own), height=_integer(row, "height", own), path=files.get(video_id),
            problems=own,
        )
        if video.path is None:
            problems.append((where, f"no video file {video_id}.* under {root}; row left out"))
            continue
        if not keep_no_event and video.label == NO_EVENT:
            problems.append((where, f"{video_id} is a no_event clip; dropped (data.keep_no_event=false)"))
            continue
        if not (0 <= video.begin <= video.end < max(video.length, 1)):
            own.append(f"begin..end {video.begin}..{video.end} is not inside the clip of {video.length} frames")
        videos.append(video)
    for video_id in sorted(set(files) - seen):
        problems.append((str(files[video_id]), "video has no row in the annotations; not used"))
    carve_validation(videos, val_fraction, seed, val_signers)
    official = root / OFFICIAL_LANDMARKS
    return SlovoFolder(root, sorted(videos, key=lambda v: v.attachment_id), problems,
                       official if official.is_file() else None)


def read_official_hands(path: str | Path) -> dict[str, np.ndarray]:
    """The official ``slovo_mediapipe.json``: per video id, hands ``(T, 2, 21, 3)`` float32
    (``hand 1``, ``hand 2``; normalised image x, y and MediaPipe's relative z), NaN where a hand is
    absent on a frame.

    Raises:
        InputFileError: unreadable JSON, or an entry that is not a list of frames of 21-point hands.
    """
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputFileError(path, f"cannot read as JSON: {err}") from None
    if not isinstance(payload, dict):
        raise InputFileError(path, "expected an object {attachment_id: [frames]}")
    hands = {}
    for video_id, frames in payload.items():
        if not isinstance(frames, list):
            raise InputFileError(path, f"{video_id}: expected a list of frames")
        array = np.full((len(frames), 2, 21, 3), np.nan, dtype=np.float32)
        for index, frame in enumerate(frames):
            for slot, key in enumerate(("hand 1", "hand 2")):
                points = frame.get(key) if isinstance(frame, dict) else None
                if points is None:
                    continue
                try:
                    array[index, slot] = [(p["x"], p["y"], p.get("z", 0.0)) for p in points]
                except (TypeError, KeyError, ValueError):
                    raise InputFileError(path, f"{video_id} frame {index} {key}: expected 21 points with x, y, z") from None
        hands[video_id] = array
    return hands
