"""Videos of one or more people → resized frames + MediaPipe Holistic landmarks, cached once.

Per video, the cache (``<cache_dir>/<stem>-<sha256[:12]>-<H>x<W>.npz``) holds the frames
resized to the training size (uint8 ``(T, H, W, 3)``), the landmarks of the full-resolution
frames (``(T, 543, 3)``, normalised image coordinates, NaN where missing) and the index of the
video's reference frame (the first frame with a body and a face). It is written atomically and
reused while the video's hash and the size match.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from render.errors import RenderError

log = logging.getLogger(__name__)
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm")


@dataclass
class VideoClip:
    """One prepared video.

    Attributes:
        name: file stem.
        frames: ``(T, H, W, 3)`` uint8 RGB at the training size.
        landmarks: ``(T, 543, 3)`` float32 normalised coordinates (NaN where missing).
        reference: index of the reference frame.
    """

    name: str
    frames: np.ndarray
    landmarks: np.ndarray
    reference: int


def find_videos(path: str | Path) -> list[Path]:
    """One video file, or every video in a folder (sorted). Raises :class:`RenderError` if none."""
    path = Path(path).expanduser()
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise RenderError(f"training videos {path} do not exist")
    videos = sorted(p for p in path.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    if not videos:
        raise RenderError(f"folder {path} holds no videos ({', '.join(VIDEO_SUFFIXES)})")
    return videos


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (names the video's cache entry)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resize_frames(frames: np.ndarray, height: int, width: int) -> np.ndarray:
    """``(T, h, w, 3)`` uint8 → ``(T, height, width, 3)`` (area interpolation)."""
    return np.stack([cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA) for frame in frames])


def reference_index(landmarks: np.ndarray, path: Path) -> int:
    """First frame with pose and face landmarks; :class:`RenderError` naming ``path`` if none."""
    from motiongen.core.holistic_layout import PART_SLICES

    found = (np.isfinite(landmarks[:, PART_SLICES["pose"], 0]).any(1)
             & np.isfinite(landmarks[:, PART_SLICES["face"], 0]).any(1))
    if not found.any():
        raise RenderError(f"{path}: MediaPipe found no person with a face on any frame")
    return int(np.argmax(found))


def cache_path(path: Path, cache_dir: Path, height: int, width: int) -> Path:
    """Cache entry of video ``path`` at ``height x width``."""
    return cache_dir / f"{path.stem}-{file_sha256(path)[:12]}-{height}x{width}.npz"


def prepare_video(path: Path, cache_dir: Path, height: int, width: int) -> VideoClip:
    """Frames and landmarks of ``path`` at ``height x width``, from the cache or computed once."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = cache_path(path, cache_dir, height, width)
    if cached.is_file():
        with np.load(cached) as data:
            return VideoClip(path.stem, data["frames"], data["landmarks"], int(data["reference"]))
    from motiongen.formats.holistic import extract_frames
    from motiongen.formats.video import probe_video, read_video_frames

    info = probe_video(path)
    frames = read_video_frames(path)
    with tqdm(total=len(frames), desc=f"landmarks {path.name}", unit="frame") as bar:
        landmarks = extract_frames(frames, fps=info.fps, on_frame=lambda done: bar.update(done - bar.n)).landmarks
    clip = VideoClip(path.stem, resize_frames(frames, height, width), landmarks.astype(np.float32),
                     reference_index(landmarks, path))
    handle, partial = tempfile.mkstemp(prefix=cached.name, suffix=".partial.npz", dir=cache_dir)
    os.close(handle)
    try:
        np.savez(partial, frames=clip.frames, landmarks=clip.landmarks, reference=clip.reference)
        os.replace(partial, cached)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return clip


def split_frames(num_frames: int, holdout_every: int) -> tuple[np.ndarray, np.ndarray]:
    """Training and held-out frame indices: every ``holdout_every``-th frame (the 8th, 16th, ...)
    is held out; ``holdout_every = 0`` holds out nothing."""
    index = np.arange(num_frames)
    held = (index % holdout_every == holdout_every - 1) if holdout_every else np.zeros(num_frames, bool)
    return index[~held], index[held]
