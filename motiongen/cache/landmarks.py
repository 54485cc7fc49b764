"""The landmark stage of a video corpus cache: MediaPipe Holistic landmarks of each video, computed
once and kept apart from the motion blocks derived from them (changing a block definition never
re-runs MediaPipe).

::

    <cache_dir>/landmarks/<video_id>.npz
        landmarks        (T, 543, 3) float32  normalised image coordinates, NaN where a part is missing
        present          (T, 4) bool          pose, face, left_hand, right_hand found
        pose_visibility  (T, 33) float32
        meta             JSON string: source fingerprint, settings and their hash, fps, width, height,
                         frame count, warnings, package version

Each file is written to a temporary name in the same folder and moved into place with one
``os.replace``, so an interrupted run leaves complete entries or none; a video whose entry holds the
same settings hash and an unchanged source fingerprint is not recomputed (resume). Only pictures and
timing are read from a video (no container metadata). :func:`process_video` is the unit of work of
every executor (in-process, worker processes, Ray tasks) and never raises.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from motiongen import __version__
from motiongen.cache.sources import fingerprint, unchanged
from motiongen.cache.store import settings_hash
from motiongen.cache.take import TakeResult
from motiongen.core.atomic import write_npz_atomic
from motiongen.core.holistic_layout import PARTS
from motiongen.core.errors import MotiongenError

log = logging.getLogger(__name__)

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

    @property
    def settings_hash(self) -> str:
        return settings_hash(self.settings)


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
    return bool(meta) and meta.get("settings_hash") == job.settings_hash and unchanged(meta.get("source", {}), job.video)


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


def process_video(job: VideoJob) -> TakeResult:
    """Extract and atomically store one video's landmarks. Never raises: a failure (unreadable or
    empty video, no person found) is returned as a failed :class:`TakeResult` with the reason."""
    from motiongen.formats.holistic import extract_video

    started = time.perf_counter()
    try:
        source = fingerprint(job.video)
        result, info = extract_video(job.video, min_detection_confidence=job.settings["min_detection_confidence"],
                                     min_tracking_confidence=job.settings["min_tracking_confidence"])
        if not result.present[:, PARTS.index("pose")].any():
            raise MotiongenError(f"{job.video}: no person found (MediaPipe detected no pose on any of "
                                 f"{result.frame_count} frames)")
        warnings = _warnings(result, info, job.expected_frames)
        meta = {
            "take_id": job.take_id, "source": source, "settings": job.settings, "settings_hash": job.settings_hash,
            "fps": result.fps, "width": result.width, "height": result.height, "num_frames": result.frame_count,
            "warnings": warnings, "package_version": __version__,
            "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        write_npz_atomic(entry_path(job.cache_dir, job.take_id), {
            "landmarks": result.landmarks, "present": result.present, "pose_visibility": result.pose_visibility,
            "meta": np.array(json.dumps(meta, ensure_ascii=False)),
        })
    except (MotiongenError, OSError, ValueError) as err:
        log.warning("video %s failed: %s", job.take_id, err)
        return TakeResult(job.take_id, "failed", f"{type(err).__name__}: {err}", seconds=time.perf_counter() - started)
    except Exception as err:  # a library failure on odd data must not stop the other videos
        log.error("video %s failed unexpectedly:\n%s", job.take_id, traceback.format_exc())
        return TakeResult(job.take_id, "failed", f"unexpected {type(err).__name__}: {err}",
                          seconds=time.perf_counter() - started)
    return TakeResult(job.take_id, "processed", num_frames=result.frame_count, warnings=warnings,
                      seconds=time.perf_counter() - started)
