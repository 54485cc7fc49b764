"""Videos of one or more people → resized frames + MediaPipe Holistic landmarks, cached once.

Per video, the cache (``<cache_dir>/<stem>-<sha256[:12]>-<H>x<W>-f<C>s<scale>.npz``) holds the frames
resized to the training size (uint8 ``(T, H, W, 3)``), the landmarks of the full-resolution
frames (``(T, 543, 3)``, normalised image coordinates, NaN where missing), the index of the
video's reference frame (the first frame with a body and a face), that frame at full resolution
(the reference image ``render animate`` would be given) and the face crops of every frame at
``C x C`` (boxes ``face_box_scale`` times the face's size) cut from the full-resolution frames (:mod:`render.regions`),
and with a hand path (``hand_size`` > 0) each hand's crops at ``S x S`` likewise (the entry's name then
ends ``-h<S>s<scale>``). It is written atomically and reused while the video's hash and the sizes match.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from motiongen.core.atomic import savez
from motiongen.core.hashing import sha256_file
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
        reference_image: ``(H0, W0, 3)`` uint8, the reference frame at the video's resolution.
        faces: ``(T, C, C, 3)`` uint8 face crops (:func:`render.regions.crop_regions`).
        face_boxes: ``(T, 3)`` float32 crop boxes (centre x, centre y, side; see
            :mod:`render.regions`), NaN on frames without a face.
        hands: ``(T, 2, S, S, 3)`` uint8 crops of the left and right hand, or None (no hand path).
        hand_boxes: ``(T, 2, 3)`` their boxes (:func:`render.regions.hand_boxes` with the pose
            fallback: a frame where MediaPipe missed a hand is boxed at its wrist; whether the
            hand itself is there is in ``landmarks``).
    """

    name: str
    frames: np.ndarray
    landmarks: np.ndarray
    reference: int
    reference_image: np.ndarray | None = None
    faces: np.ndarray | None = None
    face_boxes: np.ndarray | None = None
    hands: np.ndarray | None = None
    hand_boxes: np.ndarray | None = None


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


def cache_path(path: Path, cache_dir: Path, height: int, width: int, face_size: int = 128, face_box_scale: float = 1.8,
               hand_size: int = 0, hand_box_scale: float = 2.0) -> Path:
    """Cache entry of video ``path`` at ``height x width`` with ``face_size`` face crops (and
    ``hand_size`` hand crops when > 0)."""
    hands = f"-h{hand_size}s{hand_box_scale:g}" if hand_size else ""
    return cache_dir / f"{path.stem}-{sha256_file(path, 12)}-{height}x{width}-f{face_size}s{face_box_scale:g}{hands}.npz"


def prepare_video(path: Path, cache_dir: Path, height: int, width: int, face_size: int = 128,
                  face_box_scale: float = 1.8, hand_size: int = 0, hand_box_scale: float = 2.0) -> VideoClip:
    """Frames, landmarks, face crops (and hand crops when ``hand_size`` > 0) of ``path`` at
    ``height x width``, from the cache or computed once."""
    from render.regions import crop_regions, face_boxes

    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = cache_path(path, cache_dir, height, width, face_size, face_box_scale, hand_size, hand_box_scale)
    if cached.is_file():
        with np.load(cached) as data:
            hands = (data["hands"], data["hand_boxes"]) if "hands" in data else (None, None)
            return VideoClip(path.stem, data["frames"], data["landmarks"], int(data["reference"]), data["reference_image"],
                             data["faces"], data["face_boxes"], *hands)
    from motiongen.formats.holistic import extract_frames
    from motiongen.formats.video import probe_video, read_video_frames

    info = probe_video(path)
    frames = read_video_frames(path)
    with tqdm(total=len(frames), desc=f"landmarks {path.name}", unit="frame") as bar:
        landmarks = extract_frames(frames, fps=info.fps, on_frame=lambda done: bar.update(done - bar.n)).landmarks
    landmarks = landmarks.astype(np.float32)
    reference = reference_index(landmarks, path)
    boxes = face_boxes(landmarks, frames.shape[1:3], face_box_scale)
    clip = VideoClip(path.stem, resize_frames(frames, height, width), landmarks, reference, frames[reference],
                     crop_regions(frames, boxes, face_size), boxes, *crop_hands(frames, landmarks, hand_size, hand_box_scale))
    write_clip(clip, cached)
    return clip


def crop_hands(frames: np.ndarray, landmarks: np.ndarray, size: int, scale: float) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Both hands' crops ``(T, 2, size, size, 3)`` of full-resolution ``frames`` and their boxes
    ``(T, 2, 3)`` (:func:`render.regions.hand_boxes` with the pose fallback); ``(None, None)``
    when ``size`` is 0."""
    from render.regions import crop_regions, hand_boxes

    if not size:
        return None, None
    boxes = hand_boxes(landmarks, frames.shape[1:3], scale, fallback=True)
    return np.stack([crop_regions(frames, boxes[:, side], size) for side in range(2)], 1), boxes


def write_clip(clip: VideoClip, cached: Path) -> None:
    """Write a prepared video to its cache entry atomically."""
    hands = {"hands": clip.hands, "hand_boxes": clip.hand_boxes} if clip.hands is not None else {}
    savez(cached, {"frames": clip.frames, "landmarks": clip.landmarks, "reference": clip.reference,
                   "reference_image": clip.reference_image, "faces": clip.faces, "face_boxes": clip.face_boxes} | hands)


@dataclass
class FrameSplit:
    """Frame indices of one video: ``train`` and the held-out splits by name.

    ``held["interpolation"]``: every ``holdout_every``-th frame before the tail, each between two
    training frames; ``held["contiguous"]``: the last ``holdout_tail`` fraction of the video, a
    segment the renderer never saw any frame of.
    """

    train: np.ndarray
    held: dict[str, np.ndarray]

    @property
    def all_held(self) -> np.ndarray:
        return np.sort(np.concatenate([indices for indices in self.held.values()])) if self.held else np.zeros(0, int)


def split_frames(num_frames: int, holdout_every: int, holdout_tail: float = 0.0) -> FrameSplit:
    """Training and held-out frames: the last ``ceil(holdout_tail * T)`` frames form the
    contiguous split; of the frames before it every ``holdout_every``-th (the 8th, 16th, ...)
    forms the interpolation split; 0 disables either."""
    if not 0 <= holdout_tail < 1:
        raise RenderError(f"data.holdout_tail must be in [0, 1), got {holdout_tail}")
    index = np.arange(num_frames)
    head = num_frames - int(np.ceil(holdout_tail * num_frames))
    every = (index % holdout_every == holdout_every - 1) & (index < head) if holdout_every else np.zeros(num_frames, bool)
    held = {}
    if holdout_every:
        held["interpolation"] = index[every]
    if head < num_frames:
        held["contiguous"] = index[head:]
    return FrameSplit(index[~every & (index < head)], held)
