"""Helpers for Slovo tests: synthetic ``annotations.csv`` files and corpus folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from motiongen.datasets.slovo.videos import COLUMNS


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


def altered_copies(sample: Path, folder: Path) -> dict[str, Path]:
    """Write altered copies of the real sample video into ``folder`` (720x1280, 30 fps, mpeg4):
    ``mirrored`` (left-right flipped), ``reversed`` (played backwards), ``shifted`` (starts 40
    frames later and wraps around) and ``trimmed`` (frames 16-95). Returns ``{name: path}``."""
    from motiongen.formats.video import read_video_frames
    from video_samples import write_video

    frames = read_video_frames(sample)
    folder.mkdir(parents=True, exist_ok=True)
    variants = {
        "mirrored": frames[:, :, ::-1],
        "reversed": frames[::-1],
        "shifted": np.roll(frames, -40, axis=0),
        "trimmed": frames[16:96],
    }
    return {name: write_video(folder / f"{name}.mp4", np.ascontiguousarray(value)) for name, value in variants.items()}


#: The test corpus: (id, signer, label, train flag); ``corrupt`` and ``nobody`` must fail.
CORPUS_ROWS = (
    ("orig", "u1", "привет", True), ("mirrored", "u2", "да", True), ("reversed", "u3", "нет", True),
    ("shifted", "u4", "привет", True), ("trimmed", "u5", "да", False),
    ("corrupt", "u1", "нет", True), ("nobody", "u2", "да", True),
)
VAL_SIGNERS = ("u4",)


def write_slovo_corpus(sample: Path, root: Path) -> Path:
    """A Slovo folder: the real sample and its altered copies under ``train/`` (``trimmed`` under
    ``test/``), a truncated copy (``corrupt``), a video of a moving gradient without a person
    (``nobody``), and ``annotations.csv`` (tab-separated) giving them labels and signers."""
    from video_samples import gradient_frames, write_video

    copies = altered_copies(sample, root / "train")
    (root / "test").mkdir(parents=True, exist_ok=True)
    copies["trimmed"].rename(root / "test" / "trimmed.mp4")
    link_video(sample, root / "train" / "orig.mp4")
    (root / "train" / "corrupt.mp4").write_bytes(sample.read_bytes()[:6000])
    write_video(root / "train" / "nobody.mp4", gradient_frames(20, 128, 96))
    lengths = {"trimmed": 80, "nobody": 20}
    rows = [{"attachment_id": name, "user_id": signer, "text": label, "train": train, "length": lengths.get(name, 112),
             "begin": 5, "end": min(lengths.get(name, 112) - 5, 100)}
            for name, signer, label, train in CORPUS_ROWS]
    return write_annotations(root / "annotations.csv", rows)
