"""Train / val / test assignment of BEAT takes, following CaMN (BEAT's reference code).

The UWP paper trains on speakers 2, 4, 6, 8 with "the train/val/test rule of the CaMN code": 98 /
16 / 16 takes per speaker. That rule (``split_rule_english`` in BEAT's README and preprocessing
notebook) is a function of the recording type and the take index; for the ten four-hour speakers
(1, 2, 3, 4, 6, 7, 8, 9, 11, 21):

* English speech (type 0, takes 1-118): **test** = takes 1-8 plus the first take of each emotion
  block (65, 73, 81, 87, 95, 103, 111); **val** = takes 57-64 plus the last take of each emotion
  block (72, 80, 86, 94, 102, 110, 118); **train** = everything else (9-56 and the inner takes of
  the emotion blocks) -> 88 / 15 / 15.
* English conversation (type 1, takes 1-12): **test** = 1, **val** = 12, **train** = 2-11 -> 10 / 1 / 1.

Together: 98 / 16 / 16 per speaker. For the twenty one-hour speakers CaMN lists its takes
explicitly and cuts eight of them (speech 65, 73, 81, 87, 95, 103, 111 and conversation 1) in half
between val and test; those halves cannot be expressed per take, so those takes are left
unassigned with that reason (give them a split in the override CSV to use them).

Override CSV (``take_id,split``; an optional header row ``take_id,split``): each listed take gets
the given split; unlisted takes keep the rule's split.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from motiongen.core.errors import InputFileError
from motiongen.formats.tables import read_csv_rows

log = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("train", "val", "test")

FOUR_HOUR_SPEAKERS = frozenset({1, 2, 3, 4, 6, 7, 8, 9, 11, 21})
ONE_HOUR_SPEAKERS = frozenset({5, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 22, 23, 24, 25, 26, 27, 28, 29, 30})

ENGLISH_SPEECH, ENGLISH_CONVERSATION = 0, 1
_EMOTION_BLOCK_FIRST = frozenset({65, 73, 81, 87, 95, 103, 111})
_EMOTION_BLOCK_LAST = frozenset({72, 80, 86, 94, 102, 110, 118})

# One-hour speakers: CaMN's explicit lists, as (recording type, take index).
_ONE_HOUR_TRAIN = frozenset(
    {(0, i) for i in range(9, 17)} | {(0, i) for i in (66, 74, 82, 88, 96, 104, 112, 118)} | {(1, i) for i in (0, 2, 3, 4)}
)
_ONE_HOUR_VAL = frozenset((0, i) for i in range(5, 9))
_ONE_HOUR_TEST = frozenset((0, i) for i in range(1, 5))
_ONE_HOUR_HALVED = frozenset({(0, i) for i in _EMOTION_BLOCK_FIRST} | {(1, 1)})


@dataclass(frozen=True)
class TakeKey:
    """What the rule looks at: the speaker, recording type and take index of a take."""

    take_id: str
    speaker_id: int
    take_type: int
    start: int
    end: int


def camn_split(key: TakeKey) -> tuple[str | None, str]:
    """Split the CaMN rule gives a take, or ``(None, reason)`` when it gives none."""
    if key.start != key.end:
        return None, f"take spans indices {key.start}-{key.end}; the rule assigns single takes"
    kind, index = key.take_type, key.start
    if kind not in (ENGLISH_SPEECH, ENGLISH_CONVERSATION):
        return None, f"recording type {kind} is not English speech (0) or conversation (1)"
    if key.speaker_id in FOUR_HOUR_SPEAKERS:
        if kind == ENGLISH_SPEECH:
            if not 1 <= index <= 118:
                return None, f"speech take index {index} outside 1-118"
            if index <= 8 or index in _EMOTION_BLOCK_FIRST:
                return "test", "CaMN rule"
            if 57 <= index <= 64 or index in _EMOTION_BLOCK_LAST:
                return "val", "CaMN rule"
            return "train", "CaMN rule"
        if not 1 <= index <= 12:
            return None, f"conversation take index {index} outside 1-12"
        return ("test" if index == 1 else "val" if index == 12 else "train"), "CaMN rule"
    if key.speaker_id in ONE_HOUR_SPEAKERS:
        pair = (kind, index)
        for split, members in (("train", _ONE_HOUR_TRAIN), ("val", _ONE_HOUR_VAL), ("test", _ONE_HOUR_TEST)):
            if pair in members:
                return split, "CaMN rule"
        if pair in _ONE_HOUR_HALVED:
            return None, "CaMN splits this take in halves between val and test; assign it in the split CSV"
        return None, "not used by CaMN for one-hour speakers"
    return None, f"speaker {key.speaker_id} is not a BEAT English speaker (1-30)"


class SplitAssignment(dict):
    """``{take_id: 'train' | 'val' | 'test'}`` plus ``unassigned`` ``{take_id: reason}`` and
    recorded ``warnings`` (e.g. override rows naming unknown takes)."""

    def __init__(self, splits: dict[str, str], unassigned: dict[str, str], warnings: list[str]):
        super().__init__(splits)
        self.unassigned = unassigned
        self.warnings = warnings

    def counts(self) -> dict[str, int]:
        """Number of takes per split."""
        return {split: sum(1 for value in self.values() if value == split) for split in SPLITS}


def read_split_csv(path: str | Path) -> dict[str, str]:
    """Read ``take_id,split`` rows (optional header) into ``{take_id: split}``.

    Raises:
        InputFileError: missing file, wrong column count, unknown split name, a take listed twice.
    """
    path = Path(path)
    rows = read_csv_rows(path)
    overrides: dict[str, str] = {}
    for line, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if line == 1 and [cell.lower() for cell in cells] == ["take_id", "split"]:
            continue
        if len(cells) != 2:
            raise InputFileError(path, f"{len(cells)} columns; expected take_id,split", line=line)
        take_id, split = cells
        if split not in SPLITS:
            raise InputFileError(path, f"split {split!r} is not one of {', '.join(SPLITS)}", line=line)
        if take_id in overrides:
            raise InputFileError(path, f"take {take_id!r} listed twice", line=line)
        overrides[take_id] = split
    return overrides


def assign_splits(takes, split_csv: str | Path | None = None) -> SplitAssignment:
    """Assign each take to train/val/test by the CaMN rule, then apply the override CSV.

    Args:
        takes: objects with ``take_id``, ``speaker_id``, ``take_type``, ``start``, ``end``
            (:class:`motiongen.datasets.beat.takes.BeatTake`).
        split_csv: optional ``take_id,split`` file whose rows win over the rule.
    """
    overrides = read_split_csv(split_csv) if split_csv is not None else {}
    splits: dict[str, str] = {}
    unassigned: dict[str, str] = {}
    known = set()
    for take in takes:
        known.add(take.take_id)
        if take.take_id in overrides:
            splits[take.take_id] = overrides[take.take_id]
            continue
        split, reason = camn_split(TakeKey(take.take_id, take.speaker_id, take.take_type, take.start, take.end))
        if split is None:
            unassigned[take.take_id] = reason
        else:
            splits[take.take_id] = split
    warnings = []
    stray = sorted(set(overrides) - known)
    if stray:
        message = f"split CSV {split_csv} names {len(stray)} take(s) not in the corpus: {', '.join(stray[:10])}"
        warnings.append(message)
        log.warning(message)
    return SplitAssignment(splits, unassigned, warnings)
