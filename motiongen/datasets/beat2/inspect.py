"""``motiongen inspect`` on a BEAT2 folder: every file of every take read, the split each take gets."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from motiongen.core.errors import InputFileError
from motiongen.datasets.beat2.takes import BEAT2_MODALITIES, discover_beat2
from motiongen.datasets.inspection import report_takes
from motiongen.datasets.report import ERROR, WARNING, Problem, Report, reason

_KIND_BY_BEAT2_MODALITY = {
    "smplx": "smplx_npz",
    "wav": "audio",
    "TextGrid": "textgrid",
    "emo": "emotion_csv",
    "sem": "semantic_txt",
}


def inspect_beat2(root: str | Path, split_csv: str | Path | None = None, progress: Callable | None = None) -> Report:
    """Inventory a BEAT2 folder (``smplxflame_30/``, ``wave16k/``, ``textgrid/``, ``emo/``, ``sem/``,
    ``train_test_split.csv``) and read every file of every take.

    Args:
        root: the BEAT2 folder.
        split_csv: optional ``id,type`` file replacing ``<root>/train_test_split.csv``.
        progress: optional wrapper around the take iterator (e.g. ``tqdm``).
    """
    root = Path(root)
    report = Report(str(root), "corpus", modalities=list(BEAT2_MODALITIES))
    try:
        corpus = discover_beat2(root, split_csv)
    except InputFileError as err:
        report.problems.append(Problem(str(err.path), ERROR, reason(err)))
        return report
    report.problems.extend(Problem(str(path), WARNING, message) for path, message in corpus.problems)
    report_takes(report, corpus, _KIND_BY_BEAT2_MODALITY,
                  lambda take: (take.split_type, "" if take.split_type else "not in the split CSV"), progress)
    if not corpus:
        report.problems.append(Problem(str(root), ERROR, "no BEAT2 take files found"))
    return report
