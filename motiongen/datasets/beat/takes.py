"""Discovery of the BEAT corpus (v0.2.1, English) on disk.

Layout: ``<root>/<speaker_id>/<speaker_id>_<name>_<type>_<start>_<end>.<ext>``, e.g.
``beat_english_v0.2.1/2/2_scott_0_1_1.bvh``, with one file per modality:

=========  ==========================================================
extension  modality
=========  ==========================================================
bvh        motion capture, 120 fps, 75 joints
json       ARKit facial blendshapes, 60 fps (:mod:`motiongen.formats.arkit`)
wav        speech audio, 16 kHz (:mod:`motiongen.formats.audio`)
TextGrid   word/phone alignment (:mod:`motiongen.formats.textgrid`)
txt        semantic-relevance labels (:mod:`motiongen.datasets.beat.semantic`)
csv        emotion labels (:mod:`motiongen.datasets.beat.emotions`)
=========  ==========================================================

``type`` is the recording type (0 English speech, 1 English conversation, 2-7 speech/conversation
in Chinese, Spanish, Japanese); ``start``/``end`` the take index. Files lying directly in ``root``
are accepted too (a flat folder of takes). Anything else — a file whose name does not follow the
scheme, an unknown extension, a take filed under another speaker's folder — is reported in
:attr:`BeatFolder.problems`, never skipped silently.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from motiongen.datasets.beat.emotions import read_emotion_labels
from motiongen.datasets.beat.semantic import read_semantic_labels
from motiongen.datasets.beat.splits import assign_splits
from motiongen.core.errors import InputFileError

__all__ = [
    "MODALITIES",
    "BeatFolder",
    "BeatTake",
    "assign_splits",
    "discover_beat",
    "parse_take_name",
    "read_emotion_labels",
    "read_semantic_labels",
]

log = logging.getLogger(__name__)

MODALITIES: tuple[str, ...] = ("bvh", "json", "wav", "TextGrid", "txt", "csv")
_BY_LOWER_SUFFIX = {modality.lower(): modality for modality in MODALITIES}
TAKE_NAME = re.compile(r"^(?P<speaker>\d+)_(?P<name>[A-Za-z]+)_(?P<type>\d+)_(?P<start>\d+)_(?P<end>\d+)$")


@dataclass
class BeatTake:
    """One recorded take and the files found for it.

    Attributes:
        take_id: file stem, e.g. ``2_scott_0_1_1``.
        speaker_id: BEAT speaker number (1-30 for English).
        speaker_name: e.g. ``scott``.
        take_type: recording type (0 English speech, 1 English conversation, ...).
        start, end: take indices from the name.
        files: ``{modality: path}`` for the modalities present (keys from :data:`MODALITIES`).
        missing: modalities with no file, in :data:`MODALITIES` order.
    """

    take_id: str
    speaker_id: int
    speaker_name: str
    take_type: int
    start: int
    end: int
    files: dict[str, Path] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


class BeatFolder(list):
    """The takes of a corpus folder (sorted by speaker, type, start, end), plus ``root`` and
    ``problems``: ``(path, message)`` for every file that could not be placed."""

    def __init__(self, root: Path, takes: list[BeatTake], problems: list[tuple[Path, str]]):
        super().__init__(takes)
        self.root = root
        self.problems = problems

    @property
    def speakers(self) -> list[int]:
        """Distinct speaker ids, ascending."""
        return sorted({take.speaker_id for take in self})


def parse_take_name(stem: str) -> dict[str, int | str] | None:
    """``{'speaker_id', 'speaker_name', 'take_type', 'start', 'end'}`` from a take stem, or None
    when the stem does not follow ``<id>_<name>_<type>_<start>_<end>``."""
    match = TAKE_NAME.match(stem)
    if match is None:
        return None
    return {
        "speaker_id": int(match["speaker"]),
        "speaker_name": match["name"],
        "take_type": int(match["type"]),
        "start": int(match["start"]),
        "end": int(match["end"]),
    }


def _candidate_files(root: Path) -> list[Path]:
    """Files directly in ``root`` and in its immediate sub-folders (hidden entries excluded)."""
    found = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            found.append(entry)
        elif entry.is_dir():
            found.extend(sorted(p for p in entry.iterdir() if not p.name.startswith(".")))
    return found


def discover_beat(root: str | Path) -> BeatFolder:
    """Inventory a BEAT corpus folder.

    Raises:
        InputFileError: ``root`` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputFileError(root, "not a folder")
    takes: dict[str, BeatTake] = {}
    problems: list[tuple[Path, str]] = []

    def report(path: Path, message: str) -> None:
        problems.append((path, message))
        log.warning("%s: %s", path, message)

    for path in _candidate_files(root):
        if path.is_dir():
            report(path, "nested folder ignored (expected <root>/<speaker_id>/<take files>)")
            continue
        modality = _BY_LOWER_SUFFIX.get(path.suffix[1:].lower())
        if modality is None:
            report(path, f"extension {path.suffix or '(none)'!r} is not one of {', '.join(MODALITIES)}")
            continue
        parsed = parse_take_name(path.stem)
        if parsed is None:
            report(path, "name does not follow <speaker_id>_<name>_<type>_<start>_<end>")
            continue
        folder = path.parent
        if folder != root and folder.name != str(parsed["speaker_id"]):
            report(path, f"speaker {parsed['speaker_id']} filed under folder {folder.name!r}")
        take = takes.setdefault(path.stem, BeatTake(take_id=path.stem, **parsed))
        if modality in take.files:
            report(path, f"second {modality} file for take {path.stem} (keeping {take.files[modality]})")
            continue
        take.files[modality] = path
    ordered = sorted(takes.values(), key=lambda t: (t.speaker_id, t.take_type, t.start, t.end, t.take_id))
    for take in ordered:
        take.files = {modality: take.files[modality] for modality in MODALITIES if modality in take.files}
        take.missing = [modality for modality in MODALITIES if modality not in take.files]
    return BeatFolder(root, ordered, problems)
