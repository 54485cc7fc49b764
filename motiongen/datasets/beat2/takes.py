"""Discovery of the BEAT2 corpus (BEAT re-released as SMPL-X body + FLAME face, 30 fps) on disk.

Layout (``beat_english_v2.0.0``)::

    <root>/train_test_split.csv        id,type   (type: train | val | test | additional)
    <root>/smplxflame_30/<take>.npz    SMPL-X poses + FLAME expressions (:mod:`motiongen.formats.smplx_motion`)
    <root>/wave16k/<take>.wav          speech, 16 kHz
    <root>/textgrid/<take>.TextGrid    word/phone alignment
    <root>/emo/<take>.csv              emotion labels (BEAT's format)
    <root>/sem/<take>.txt              semantic-relevance labels (BEAT's format)

Take names follow BEAT's ``<speaker_id>_<name>_<type>_<start>_<end>``, so the speaker comes from
the name. Splits come from the CSV; ``additional`` takes (extra training data in EMAGE) count as
train only when asked. A take missing any modality, a take the CSV does not list, a CSV row
without a motion file and a misnamed file are all reported per take or in
:attr:`Beat2Folder.problems`; none of them stops discovery.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from motiongen.datasets.beat.takes import BeatTake, parse_take_name
from motiongen.core.errors import InputFileError
from motiongen.formats.tables import read_csv_rows

log = logging.getLogger(__name__)

#: modality -> (sub-folder, file suffix), in report order.
BEAT2_MODALITIES: dict[str, tuple[str, str]] = {
    "smplx": ("smplxflame_30", ".npz"),
    "wav": ("wave16k", ".wav"),
    "TextGrid": ("textgrid", ".TextGrid"),
    "emo": ("emo", ".csv"),
    "sem": ("sem", ".txt"),
}
SPLIT_FILE = "train_test_split.csv"
BEAT2_SPLIT_TYPES = ("train", "val", "test", "additional")


@dataclass
class Beat2Take(BeatTake):
    """One BEAT2 take and the files found for it: a :class:`BeatTake` (name parts, ``files`` and
    ``missing`` keyed by :data:`BEAT2_MODALITIES`) plus the split CSV's ``type``
    (train/val/test/additional; None when the take is not listed).
    """

    split_type: str | None = None

    def split(self, include_additional: bool = False) -> str | None:
        """train/val/test for training; ``additional`` maps to train when ``include_additional``."""
        if self.split_type == "additional":
            return "train" if include_additional else None
        return self.split_type


class Beat2Folder(list):
    """The takes of a BEAT2 folder (sorted by speaker, type, start, end), plus ``root``,
    ``split_csv`` (the CSV used, or None) and ``problems``: ``(path, message)`` pairs."""

    def __init__(self, root: Path, takes: list[Beat2Take], problems: list[tuple[Path, str]],
                 split_csv: Path | None):
        super().__init__(takes)
        self.root = root
        self.problems = problems
        self.split_csv = split_csv

    @property
    def speakers(self) -> list[int]:
        """Distinct speaker ids, ascending."""
        return sorted({take.speaker_id for take in self})


def is_beat2_folder(root: str | Path) -> bool:
    """True when ``root`` holds BEAT2's ``smplxflame_30/`` motion folder."""
    return (Path(root) / BEAT2_MODALITIES["smplx"][0]).is_dir()


def read_beat2_split_csv(path: str | Path) -> dict[str, str]:
    """``{take_id: type}`` from BEAT2's ``train_test_split.csv`` (header ``id,type``, any column order).

    Raises:
        InputFileError: no ``id``/``type`` header, an unknown type, a take listed twice.
    """
    path = Path(path)
    rows = [row for row in read_csv_rows(path) if any(cell.strip() for cell in row)]
    if not rows:
        raise InputFileError(path, "empty; expected a header 'id,type' and one row per take")
    header = [cell.strip().lower() for cell in rows[0]]
    if "id" not in header or "type" not in header:
        raise InputFileError(path, f"header {','.join(header)!r} lacks the columns 'id' and 'type'", line=1)
    id_col, type_col = header.index("id"), header.index("type")
    splits: dict[str, str] = {}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) <= max(id_col, type_col):
            raise InputFileError(path, f"{len(row)} columns; the header has {len(header)}", line=line)
        take_id, split = row[id_col].strip(), row[type_col].strip()
        if split not in BEAT2_SPLIT_TYPES:
            raise InputFileError(path, f"type {split!r} is not one of {', '.join(BEAT2_SPLIT_TYPES)}", line=line)
        if take_id in splits:
            raise InputFileError(path, f"take {take_id!r} listed twice", line=line)
        splits[take_id] = split
    return splits


def discover_beat2(root: str | Path, split_csv: str | Path | None = None) -> Beat2Folder:
    """Inventory a BEAT2 folder.

    Args:
        root: the corpus folder (holding ``smplxflame_30/``).
        split_csv: split file; default ``<root>/train_test_split.csv`` (its absence is a problem
            reported once, every take then has no split).

    Raises:
        InputFileError: ``root`` is not a folder or has no ``smplxflame_30/`` folder, or the
            split CSV cannot be read.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputFileError(root, "not a folder")
    if not is_beat2_folder(root):
        raise InputFileError(root, f"not a BEAT2 folder: no {BEAT2_MODALITIES['smplx'][0]}/ sub-folder")
    problems: list[tuple[Path, str]] = []

    def report(path: Path, message: str) -> None:
        problems.append((path, message))
        log.warning("%s: %s", path, message)

    csv_path = Path(split_csv) if split_csv is not None else root / SPLIT_FILE
    if split_csv is None and not csv_path.is_file():
        report(csv_path, "split file not found; takes have no split")
        splits: dict[str, str] = {}
        csv_used = None
    else:
        splits = read_beat2_split_csv(csv_path)
        csv_used = csv_path
    takes: dict[str, Beat2Take] = {}
    for modality, (folder_name, suffix) in BEAT2_MODALITIES.items():
        folder = root / folder_name
        if not folder.is_dir():
            report(folder, f"folder not found: no take has {modality}")
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or path.is_dir():
                continue
            if path.suffix.lower() != suffix.lower():
                report(path, f"expected only {suffix} files in {folder_name}/")
                continue
            parsed = parse_take_name(path.stem)
            if parsed is None:
                report(path, "name does not follow <speaker_id>_<name>_<type>_<start>_<end>")
                continue
            take = takes.setdefault(path.stem, Beat2Take(take_id=path.stem, **parsed))
            take.files[modality] = path
    for take_id in sorted(set(splits) - set(takes)):
        report(csv_path, f"lists take {take_id} which has no file in any modality folder")
    ordered = sorted(takes.values(), key=lambda t: (t.speaker_id, t.take_type, t.start, t.end, t.take_id))
    for take in ordered:
        take.files = {m: take.files[m] for m in BEAT2_MODALITIES if m in take.files}
        take.missing = [m for m in BEAT2_MODALITIES if m not in take.files]
        take.split_type = splits.get(take.take_id)
        if csv_used is not None and take.split_type is None:
            report(take.files[next(iter(take.files))], f"take {take.take_id} is not listed in {csv_used.name}")
    return Beat2Folder(root, ordered, problems, csv_used)
