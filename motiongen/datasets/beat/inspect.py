"""``motiongen inspect`` on a BEAT folder: every file of every take read, the split each take gets."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from motiongen.core.errors import InputFileError
from motiongen.datasets.beat.splits import assign_splits
from motiongen.datasets.beat.takes import MODALITIES, TAKE_NAME, discover_beat
from motiongen.datasets.inspection import report_takes
from motiongen.datasets.report import ERROR, WARNING, Problem, Report, reason

_KIND_BY_MODALITY = {
    "bvh": "bvh",
    "json": "face_json",
    "wav": "audio",
    "TextGrid": "textgrid",
    "txt": "semantic_txt",
    "csv": "emotion_csv",
}


def looks_like_beat(folder: Path) -> bool:
    """A file named like a BEAT take (``<speaker>_<name>_<type>_<start>_<end>`` with a BEAT
    extension) directly in ``folder`` or in a speaker folder (digits) of it."""
    folder = Path(folder)
    if not folder.is_dir():
        return False
    places = [folder, *(p for p in folder.iterdir() if p.is_dir() and p.name.isdigit())]
    suffixes = {modality.lower() for modality in MODALITIES}
    return any(TAKE_NAME.match(f.stem) and f.suffix[1:].lower() in suffixes for place in places
               for f in place.iterdir() if f.is_file())


def inspect_beat(root: str | Path, split_csv: str | Path | None = None, progress: Callable | None = None) -> Report:
    """Inventory a BEAT corpus folder and read every file of every take.

    Args:
        root: ``<root>/<speaker_id>/<take files>`` (or a flat folder of take files).
        split_csv: optional ``take_id,split`` override for the CaMN split.
        progress: optional wrapper around the take iterator (e.g. ``tqdm``).
    """
    root = Path(root)
    report = Report(str(root), "corpus", modalities=list(MODALITIES))
    corpus = discover_beat(root)
    report.problems.extend(Problem(str(path), WARNING, message) for path, message in corpus.problems)
    try:
        splits = assign_splits(corpus, split_csv)
    except InputFileError as err:
        report.problems.append(Problem(str(err.path), ERROR, reason(err)))
        splits = assign_splits(corpus)
    report.problems.extend(Problem(str(split_csv), WARNING, message) for message in splits.warnings)
    report_takes(report, corpus, _KIND_BY_MODALITY,
                 lambda take: (splits.get(take.take_id), splits.unassigned.get(take.take_id, "")), progress)
    if not corpus:
        report.problems.append(Problem(str(root), ERROR, "no BEAT take files found"))
    return report
