"""The landmark store of the Slovo corpus: MediaPipe Holistic landmarks of each video, computed
once and kept beside the cache (``<cache_dir>/landmarks/``), apart from the motion blocks derived
from them (changing a block definition never re-runs MediaPipe).

::

    <cache_dir>/landmarks/<video_id>.npz
        landmarks        (T, 543, 3) float32  normalised image coordinates, NaN where a part is missing
        present          (T, 4) bool          pose, face, left_hand, right_hand found
        pose_visibility  (T, 33) float32
        meta             JSON string: source fingerprint, settings and their hash, fps, width, height,
                         frame count, warnings, package version

Each file is written to a temporary name in the same folder and moved into place with one
``os.replace``, so an interrupted run leaves complete entries or none; a video whose entry holds the
same settings and an unchanged source fingerprint is not recomputed (resume). Only pictures and
timing are read from a video (no container metadata). :func:`current_landmarks` is what
:meth:`~motiongen.datasets.slovo.SlovoCorpus.read_take` calls in the cache builder's workers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from motiongen import __version__
from motiongen.core.atomic import savez
from motiongen.core.errors import MotiongenError
from motiongen.core.holistic_layout import PARTS
from motiongen.core.sources import fingerprint, unchanged

LANDMARKS_DIR = "landmarks"
# Bump when the meaning of the stored arrays changes. 2: the settings' MediaPipe thresholds are applied
# (format 1 entries ran at MediaPipe's defaults whatever their settings said).
LANDMARK_FORMAT = 2


def landmark_settings(min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5) -> dict:
    """Everything besides the video that decides its landmarks (hashed into each entry)."""
    from importlib.metadata import version

    from motiongen.formats.holistic import MODEL_COMPLEXITY

    return {
        "landmark_format": LANDMARK_FORMAT,
        "extractor": "mediapipe.solutions.holistic",
        "mediapipe": version("mediapipe"),
        "model_complexity": MODEL_COMPLEXITY,
        "min_detection_confidence": float(min_detection_confidence),
        "min_tracking_confidence": float(min_tracking_confidence),
    }


@dataclass(frozen=True)
class VideoJob:
    """One video to (re)compute.

    Attributes:
        take_id: the video's id (file stem), also the entry name.
        video: path of the video file.
        cache_dir: the cache folder.
        settings: :func:`landmark_settings`.
        expected_frames: frame count the annotation states (a mismatch is a warning), or None.
    """

    take_id: str
    video: str
    cache_dir: str
    settings: dict
    expected_frames: int | None = None


def entry_path(cache_dir: str | Path, take_id: str) -> Path:
    return Path(cache_dir) / LANDMARKS_DIR / f"{take_id}.npz"


@dataclass(frozen=True)
class LandmarkEntry:
    """A stored entry: the arrays of :mod:`motiongen.formats.holistic` and its ``meta`` facts."""

    landmarks: np.ndarray
    present: np.ndarray
    pose_visibility: np.ndarray
    meta: dict = field(default_factory=dict)


def read_meta(path: str | Path) -> dict | None:
    """The ``meta`` of an entry, or None when there is no readable entry."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return json.loads(str(data["meta"]))
    except (OSError, KeyError, ValueError):
        return None


def read_landmark_entry(path: str | Path) -> LandmarkEntry:
    """Load an entry written by :func:`process_video`.

    Raises:
        InputFileError: missing or unreadable file.
    """
    from motiongen.core.errors import InputFileError

    try:
        with np.load(path, allow_pickle=False) as data:
            return LandmarkEntry(data["landmarks"], data["present"], data["pose_visibility"], json.loads(str(data["meta"])))
    except FileNotFoundError:
        raise InputFileError(path, "landmark entry not found") from None
    except (OSError, KeyError, ValueError) as err:
        raise InputFileError(path, f"unreadable landmark entry: {err}") from None


def entry_is_current(job: VideoJob) -> bool:
    """Whether the stored entry was made with the same settings from the unchanged video."""
    meta = read_meta(entry_path(job.cache_dir, job.take_id))
    return bool(meta) and meta.get("settings") == job.settings and unchanged(meta.get("source", {}), job.video)


def remove_partial_entries(cache_dir: str | Path) -> list[str]:
    """Delete the temporary files an interrupted run left in ``landmarks/``; return their names."""
    folder = Path(cache_dir) / LANDMARKS_DIR
    if not folder.is_dir():
        return []
    leftovers = sorted(folder.glob(".*.partial.npz"))
    for path in leftovers:
        path.unlink(missing_ok=True)
    return [p.name for p in leftovers]


def _warnings(result, info, expected: int | None) -> list[str]:
    warnings = []
    if expected is not None and expected != result.frame_count:
        warnings.append(f"the annotation says {expected} frames, the video has {result.frame_count}")
    if info.frame_count != result.frame_count:
        warnings.append(f"the container states {info.frame_count} frames, {result.frame_count} decoded")
    if info.rotation_degrees:
        warnings.append(f"display rotation {info.rotation_degrees} degrees is not applied")
    for column, part in enumerate(PARTS):
        found = int(result.present[:, column].sum())
        if found == 0:
            warnings.append(f"{part}: not found on any frame")
        elif found < result.frame_count and part in ("pose", "face"):
            warnings.append(f"{part}: missing on {result.frame_count - found} of {result.frame_count} frames")
    return warnings


def extract_landmarks(job: VideoJob) -> LandmarkEntry:
    """Run MediaPipe Holistic on the video and store its entry atomically.

    Raises:
        MotiongenError: an unreadable or empty video (InputFileError), or no person found.
    """
    from motiongen.formats.holistic import extract_video

    try:
        source = fingerprint(job.video)
        result, info = extract_video(job.video, min_detection_confidence=job.settings["min_detection_confidence"],
                                     min_tracking_confidence=job.settings["min_tracking_confidence"])
    except (OSError, ValueError) as err:  # a library's failure on an odd file, named as the video's
        raise MotiongenError(f"{job.video}: {type(err).__name__}: {err}") from None
    if not result.present[:, PARTS.index("pose")].any():
        raise MotiongenError(f"{job.video}: no person found (MediaPipe detected no pose on any of "
                             f"{result.frame_count} frames)")
    meta = {
        "take_id": job.take_id, "source": source, "settings": job.settings,
        "fps": result.fps, "width": result.width, "height": result.height, "num_frames": result.frame_count,
        "warnings": _warnings(result, info, job.expected_frames), "package_version": __version__,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    savez(entry_path(job.cache_dir, job.take_id), {
        "landmarks": result.landmarks, "present": result.present, "pose_visibility": result.pose_visibility,
        "meta": np.array(json.dumps(meta, ensure_ascii=False)),
    })
    return LandmarkEntry(result.landmarks, result.present, result.pose_visibility, meta)


def current_landmarks(job: VideoJob) -> LandmarkEntry:
    """The video's stored entry when it is current (:func:`entry_is_current`), else a new one
    (:func:`extract_landmarks`, which raises for a video that cannot give landmarks)."""
    if entry_is_current(job):
        return read_landmark_entry(entry_path(job.cache_dir, job.take_id))
    return extract_landmarks(job)
