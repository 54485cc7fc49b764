"""A generation output folder, declared once: its file names and the keys of its ``metadata.json``.

Export writes a run folder through this declaration (the file names below, :class:`RunMetadata`,
:func:`write_metadata`) and every reader (``render/``, the quickstart, tests) opens one with
:func:`read_output_folder`, so no reader spells a file name or a metadata path by convention.
With ``K > 1`` samples the per-sample files get a ``_<k>`` suffix (:func:`sample_name`)::

    motion.npz          every block in units + the motion format + provenance (always)
    metadata.json       the same provenance, human-readable (always; keys: RunMetadata's fields)
    motion.bvh          full-hierarchy BVH at the output fps                  [bvh]
    face.json           BEAT-format ARKit blendshape JSON                      [arkit]
    face_livelink.csv   Live Link Face CSV                                     [arkit]
    preview.mp4         stick figure + face with the speech (first sample)     [preview]
    face_curves.png     main mouth/eye blendshape curves (first sample)        [preview]
    smplx.npz           SMPL-X motion in the EMAGE layout                      [smplx]
    smplx_preview.mp4   SMPL-X mesh (or skeleton) with the speech (first)      [smplx_preview]
    landmarks.npz       MediaPipe Holistic landmarks per frame                 [landmarks]
    landmarks.json      the same landmarks, frame by frame                     [landmarks]
    landmarks_preview.mp4  the landmarks drawn (first sample)                  [landmarks_preview]

The inputs a run was made from are recorded under ``inputs`` by kind (:data:`AUDIO_INPUT`, ...),
each a file record ``{"path": ..., "sha256": ...}`` (:func:`file_record`) or a description.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from motiongen.core.errors import InputFileError

MOTION_FILE = "motion.npz"
METADATA_FILE = "metadata.json"
BVH_FILE = "motion.bvh"
FACE_JSON_FILE = "face.json"
LIVE_LINK_FILE = "face_livelink.csv"
PREVIEW_FILE = "preview.mp4"
FACE_CURVES_FILE = "face_curves.png"
SMPLX_FILE = "smplx.npz"
SMPLX_PREVIEW_FILE = "smplx_preview.mp4"
LANDMARKS_FILE = "landmarks.npz"
LANDMARKS_JSON_FILE = "landmarks.json"
LANDMARKS_PREVIEW_FILE = "landmarks_preview.mp4"

#: Keys of ``inputs``: the speech file, its transcript, an initial-motion BVH.
AUDIO_INPUT = "audio"
TRANSCRIPT_INPUT = "transcript"
INIT_BVH_INPUT = "init_bvh"


def sample_suffix(sample: int, count: int) -> str:
    """File-name suffix of sample ``sample`` of ``count``: ``""`` for one sample, else ``_<sample>``."""
    return "" if count == 1 else f"_{sample}"


def sample_name(name: str, sample: int, count: int) -> str:
    """File name of sample ``sample`` of ``count``: ``motion.bvh`` → ``motion_<sample>.bvh``
    (``name`` itself for one sample)."""
    stem, dot, extension = name.partition(".")
    return f"{stem}{sample_suffix(sample, count)}{dot}{extension}"


def file_record(path: str | Path, sha256: str) -> dict[str, str]:
    """How an input file is recorded under ``inputs``: its path and SHA-256."""
    return {"path": str(path), "sha256": sha256}


@dataclass
class RunMetadata:
    """The contents of ``metadata.json`` (its keys are these field names).

    Attributes:
        inputs: provenance of the inputs by kind (e.g. ``{AUDIO_INPUT: file_record(...)}``).
        model: checkpoint provenance (path and SHA-256).
        generation: how the motion was made (sampler, seed, frames, timing, ...).
        output_fps: frame rate of the exported files (Hz).
        outputs: names of the exporters that wrote files.
        warnings: non-fatal problems.
        config: the resolved configuration (plain dict).
    """

    inputs: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    generation: dict[str, Any] = field(default_factory=dict)
    output_fps: float = 30
    outputs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, values: dict[str, Any], where: str | Path) -> RunMetadata:
        """Raises: InputFileError naming ``where`` and the keys it lacks."""
        names = [f.name for f in dataclasses.fields(cls)]
        if not isinstance(values, dict) or any(name not in values for name in names):
            found = ", ".join(sorted(values)) if isinstance(values, dict) else type(values).__name__
            missing = ", ".join(name for name in names if not isinstance(values, dict) or name not in values)
            raise InputFileError(where, f"metadata lacks {missing} (found: {found or 'nothing'})")
        return cls(**{name: values[name] for name in names})

    def input_path(self, kind: str) -> Path | None:
        """The path of the input file recorded under ``inputs[kind]``, or None when there is none."""
        record = self.inputs.get(kind)
        return Path(record["path"]) if isinstance(record, dict) and record.get("path") else None


def write_metadata(folder: str | Path, metadata: RunMetadata) -> Path:
    """Write ``metadata.json`` into ``folder`` (a run's staging folder); returns its path."""
    path = Path(folder) / METADATA_FILE
    path.write_text(json.dumps(metadata.to_dict(), indent=2, default=str) + "\n", encoding="utf-8")
    return path


@dataclass
class OutputFolder:
    """A generation output folder that has been read: where it is, its metadata and its files."""

    folder: Path
    metadata: RunMetadata

    def path(self, name: str) -> Path:
        """The folder's file ``name`` (one of the ``*_FILE`` names, or a per-sample name).

        Raises:
            InputFileError: the folder has no such file (the one-line message names the folder,
                the file and the files it holds).
        """
        path = self.folder / name
        if not path.is_file():
            held = ", ".join(sorted(p.name for p in self.folder.iterdir() if not p.name.startswith("."))) or "nothing"
            raise InputFileError(self.folder, f"generation output folder lacks {name} (it holds: {held})")
        return path

    def optional(self, name: str) -> Path | None:
        """The folder's file ``name``, or None when it has none."""
        path = self.folder / name
        return path if path.is_file() else None

    @property
    def motion(self) -> Path:
        """``motion.npz`` (read it with :func:`motiongen.core.motion_file.read_motion_file`)."""
        return self.path(MOTION_FILE)

    @property
    def bvh(self) -> Path:
        """``motion.bvh`` of the first sample."""
        first = self.folder / sample_name(BVH_FILE, 0, 2)
        return first if first.is_file() else self.path(BVH_FILE)

    def speech(self) -> Path | None:
        """The speech the motion was made from: the audio input recorded in the metadata when that
        file still exists, else the folder's ``preview.mp4`` (whose audio track is the speech),
        else None."""
        audio = self.metadata.input_path(AUDIO_INPUT)
        if audio is not None and audio.is_file():
            return audio
        return self.optional(PREVIEW_FILE)


def read_output_folder(folder: str | Path) -> OutputFolder:
    """Open a generation output folder (or the folder of its ``motion.npz``) and read its metadata.

    Raises:
        InputFileError: not a folder, no (readable) ``metadata.json``, or metadata lacking a
            declared key — each a one-line message naming the folder and what is missing.
    """
    folder = Path(folder).expanduser()
    if folder.is_file() and folder.name == MOTION_FILE:
        folder = folder.parent
    if not folder.is_dir():
        raise InputFileError(folder, "is not a generation output folder (no such folder)")
    path = folder / METADATA_FILE
    if not path.is_file():
        held = ", ".join(sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))) or "nothing"
        raise InputFileError(folder, f"generation output folder lacks {METADATA_FILE} (it holds: {held})")
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputFileError(path, f"unreadable metadata ({err})") from None
    return OutputFolder(folder.resolve(), RunMetadata.from_dict(values, path))
