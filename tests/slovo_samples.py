"""Helpers for Slovo tests: synthetic ``annotations.csv`` files and corpus folders."""

from __future__ import annotations

from pathlib import Path

from motiongen.corpus.slovo import COLUMNS


def write_annotations(path: Path, rows: list[dict], delimiter: str = "\t") -> Path:
    """Write ``rows`` (dicts with :data:`COLUMNS` keys; missing ones get defaults) as Slovo annotations."""
    defaults = {"width": 720, "height": 1280, "length": 112, "train": True, "begin": 10, "end": 100}
    lines = [delimiter.join(COLUMNS)]
    for row in rows:
        full = {**defaults, **row}
        lines.append(delimiter.join(str(full[column]) for column in COLUMNS))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def link_video(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(source)
    return target
