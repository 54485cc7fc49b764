"""BEAT emotion classes and the per-take emotion label files (``.csv``).

BEAT records each speaker's speech takes (recording type 0) under eight emotions and labels the
conversation takes (type 1) neutral. The take index alone fixes the emotion of a speech take
(BEAT README, v0.2.1): 1-64 neutral, 65-72 happiness, 73-80 anger, 81-86 sadness, 87-94 contempt,
95-102 surprise, 103-110 fear, 111-118 disgust.

Emotion ``.csv`` layout (no header, comma separated, one row per labelled segment)::

    00_netural, 0, 63.908, 63.908, 0

columns: ``name`` (``NN_word``; BEAT spells neutral "netural"), ``start`` s, ``end`` s,
``duration`` s, ``score`` = the class index 0-7 below. The class is taken from ``score``; a name
prefix that disagrees with it is recorded as a warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from motiongen.datasets.beat.labels import check_times, parse_number, read_segment_lines, warn_overlaps
from motiongen.core.errors import InputFileError

log = logging.getLogger(__name__)

EMOTIONS: tuple[str, ...] = ("neutral", "happiness", "anger", "sadness", "contempt", "surprise", "fear", "disgust")

# (first take, last take, class) for speech takes (recording type 0).
SPEECH_TAKE_EMOTIONS: tuple[tuple[int, int, int], ...] = (
    (1, 64, 0),
    (65, 72, 1),
    (73, 80, 2),
    (81, 86, 3),
    (87, 94, 4),
    (95, 102, 5),
    (103, 110, 6),
    (111, 118, 7),
)
SPEECH_TYPES = frozenset({0, 2, 4, 6})  # English, Chinese, Spanish, Japanese speech


def emotion_of_take(take_type: int, take_index: int) -> int | None:
    """Emotion class (index into :data:`EMOTIONS`) that BEAT's protocol fixes for a take.

    Speech takes get the class of their index range; conversation takes are neutral (0). Returns
    None for a speech take index outside 1-118.
    """
    if take_type not in SPEECH_TYPES:
        return 0
    for first, last, emotion in SPEECH_TAKE_EMOTIONS:
        if first <= take_index <= last:
            return emotion
    return None


def take_emotion(label_file: str | Path | None, take_type: int, take_index: int, warnings: list[str]) -> int:
    """A take's emotion class: the class covering most time in its label ``.csv`` when one is
    given and holds segments, else the class BEAT's protocol fixes for the take index, else
    neutral (0). Every fallback is appended to ``warnings``."""
    if label_file is not None:
        labels = read_emotion_labels(label_file)
        warnings.extend(labels.warnings)
        if labels.segments:
            totals: dict[int, float] = {}
            for segment in labels.segments:
                totals[segment.emotion] = totals.get(segment.emotion, 0.0) + (segment.end - segment.start)
            return max(totals, key=totals.get)
        warnings.append(f"{label_file}: no emotion segments; using the take-index rule")
    emotion = emotion_of_take(take_type, take_index)
    if emotion is None:
        warnings.append(f"no emotion label: take index {take_index} is outside BEAT's protocol; using neutral (0)")
        return 0
    return emotion


@dataclass(frozen=True)
class EmotionSegment:
    """One labelled stretch: seconds ``start``/``end``, ``emotion`` class index, ``label`` as written."""

    start: float
    end: float
    emotion: int
    label: str

    @property
    def name(self) -> str:
        return EMOTIONS[self.emotion]


@dataclass
class EmotionLabels:
    """Parsed emotion file: ``segments`` in file order and recorded ``warnings``."""

    segments: list[EmotionSegment]
    warnings: list[str] = field(default_factory=list)

    @property
    def emotions(self) -> list[int]:
        """Distinct classes present, in first-seen order."""
        return list(dict.fromkeys(segment.emotion for segment in self.segments))


def read_emotion_labels(csv_path: str | Path) -> EmotionLabels:
    """Read a BEAT emotion ``.csv`` (see the module docstring for the layout).

    Raises:
        InputFileError: missing/empty file, wrong column count, non-numbers, class outside 0-7,
            negative or reversed times (with the line).
    """
    path = Path(csv_path)
    warnings: list[str] = []
    segments: list[EmotionSegment] = []
    lines: list[int] = []
    for line, cells in read_segment_lines(path, ","):
        if len(cells) != 5:
            raise InputFileError(path, f"{len(cells)} columns; expected name, start, end, duration, score", line=line)
        label = cells[0].strip()
        start, end, duration, score = (
            parse_number(path, line, column, text) for column, text in zip(("start", "end", "duration", "score"), cells[1:])
        )
        if score != int(score) or not 0 <= score < len(EMOTIONS):
            raise InputFileError(path, f"emotion class {score} is not an integer 0-{len(EMOTIONS) - 1}", line=line)
        emotion = int(score)
        check_times(path, line, start, end, duration, warnings)
        prefix = label.split("_", 1)[0]
        if prefix.isdigit() and int(prefix) != emotion:
            message = f"line {line}: label {label!r} disagrees with class {emotion} ({EMOTIONS[emotion]}); the class is used"
            warnings.append(message)
            log.warning("%s: %s", path, message)
        segments.append(EmotionSegment(start, end, emotion, label))
        lines.append(line)
    warn_overlaps(path, [s.start for s in segments], [s.end for s in segments], lines, warnings)
    return EmotionLabels(segments, warnings)
