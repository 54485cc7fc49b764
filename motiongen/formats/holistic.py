"""MediaPipe Holistic landmarks from images and videos, in the 543-landmark layout of
:mod:`motiongen.core.holistic_layout`.

Coordinates (:attr:`HolisticLandmarks.landmarks`, float32, shape ``(T, 543, 3)``) are MediaPipe's
normalised image coordinates: ``x`` in [0, 1] across the frame width (left to right), ``y`` in
[0, 1] down the frame height (points outside the frame fall slightly outside the range), ``z`` a
relative depth in roughly the scale of ``x`` (smaller = nearer the camera; pose: relative to the hip
centre, face and hands: relative to the face centre / the wrist). :meth:`HolisticLandmarks.pixels`
converts to pixels (``x * width``, ``y * height``, ``z * width``). A part that MediaPipe did not
find on a frame is NaN there and its flag in :attr:`HolisticLandmarks.present` is False.

MediaPipe 0.10.14's wheel ships the Holistic graph with pose model complexity 1 only (0 and 2
would be downloaded at run time), so complexity 1 is fixed. Videos run in tracking mode (a frame's
landmarks seed the next frame's search, with MediaPipe's temporal smoothing); single images in
static mode.

Frames go to MediaPipe at the video's own resolution. Holistic crops and resizes regions itself
(pose 256 px, face 192 px, hands 224 px model inputs), so a smaller frame saves it little (about
1 ms of 33 per frame on the Slovo sample) but coarsens the crops: measured on the 720x1280 sample,
feeding 360x640 moved pose landmarks by 4.6 px on average (95th percentile 17 px, 1.7 % of the
shoulder width; full-resolution pixels) and face landmarks by 1.4 px, and 540x960 changed on which
frames the right hand is found — not negligible, so nothing is downscaled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from motiongen.core.holistic_layout import LANDMARK_COUNT, PART_SIZES, PART_SLICES, PARTS
from motiongen.core.errors import InputFileError
from motiongen.formats.video import VideoInfo, iter_video_frames, open_video, prefetch

MODEL_COMPLEXITY = 1
_RESULT_FIELDS = {
    "pose": "pose_landmarks",
    "face": "face_landmarks",
    "left_hand": "left_hand_landmarks",
    "right_hand": "right_hand_landmarks",
}


@dataclass(frozen=True)
class HolisticLandmarks:
    """Landmarks of ``T`` frames.

    Attributes:
        landmarks: ``(T, 543, 3)`` float32, normalised image coordinates (module docstring); NaN
            where the part was not found.
        present: ``(T, 4)`` bool, one column per part in :data:`~motiongen.core.holistic_layout.PARTS`
            order (pose, face, left_hand, right_hand).
        pose_visibility: ``(T, 33)`` float32 in [0, 1], MediaPipe's likelihood that each pose landmark
            is visible (not occluded, inside the frame); NaN where no pose was found.
        width, height: frame size in pixels.
        fps: frames per second (0.0 for a single image).
    """

    landmarks: np.ndarray
    present: np.ndarray
    pose_visibility: np.ndarray
    width: int
    height: int
    fps: float

    @property
    def frame_count(self) -> int:
        return int(self.landmarks.shape[0])

    def part(self, name: str) -> np.ndarray:
        """``(T, n, 3)`` view of one part's landmarks."""
        return self.landmarks[:, PART_SLICES[name]]

    def part_present(self, name: str) -> np.ndarray:
        """``(T,)`` bool: the part was found on each frame."""
        return self.present[:, PARTS.index(name)]

    def pixels(self) -> np.ndarray:
        """``(T, 543, 3)`` float32 in pixels: ``x * width``, ``y * height``, ``z * width``."""
        scale = np.array([self.width, self.height, self.width], dtype=np.float32)
        return self.landmarks * scale


class HolisticExtractor:
    """One MediaPipe Holistic graph; feed it frames of one video in order (or single images).

    Use as a context manager (the graph holds native resources). Not thread-safe; one per process.

    Args:
        static_image_mode: True for unrelated images (no tracking between calls).
        smooth_landmarks: MediaPipe's temporal filter on the pose (video mode only).
        min_detection_confidence, min_tracking_confidence: MediaPipe's thresholds in [0, 1].
    """

    def __init__(
        self,
        *,
        static_image_mode: bool = False,
        smooth_landmarks: bool = True,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ):
        from mediapipe.python.solutions.holistic import Holistic

        self._graph = Holistic(
            static_image_mode=static_image_mode,
            model_complexity=MODEL_COMPLEXITY,
            smooth_landmarks=smooth_landmarks,
            refine_face_landmarks=False,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )

    def __enter__(self) -> "HolisticExtractor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._graph.close()

    def process(self, rgb: np.ndarray, out: np.ndarray, present: np.ndarray, visibility: np.ndarray) -> None:
        """Run the graph on one frame and write into preallocated rows.

        Args:
            rgb: ``(H, W, 3)`` uint8 RGB.
            out: ``(543, 3)`` float32 row, filled (NaN for parts not found).
            present: ``(4,)`` bool row.
            visibility: ``(33,)`` float32 row.
        """
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 RGB frame, got {rgb.shape} {rgb.dtype}")
        result = self._graph.process(np.ascontiguousarray(rgb))
        out[:] = np.nan
        visibility[:] = np.nan
        for column, part in enumerate(PARTS):
            found = getattr(result, _RESULT_FIELDS[part])
            present[column] = found is not None
            if found is None:
                continue
            points = landmark_rows(found)
            if len(points) != PART_SIZES[part]:
                raise RuntimeError(f"MediaPipe returned {len(points)} {part} landmarks, expected {PART_SIZES[part]}")
            out[PART_SLICES[part]] = points[:, :3]
            if part == "pose":
                visibility[:] = points[:, 3]


def _record_dtype(fields: int) -> np.dtype:
    """One serialised ``NormalizedLandmark`` inside a ``NormalizedLandmarkList``: the list's field-1
    key and length byte, then ``fields`` float fields (x, y, z[, visibility]), each a key byte and
    a little-endian float32."""
    layout = [("list_key", "u1"), ("size", "u1")]
    for index in range(fields):
        layout += [(f"key{index}", "u1"), (f"value{index}", "<f4")]
    return np.dtype(layout)


# Protobuf keys (field number << 3 | wire type 5 = 32-bit) of x, y, z, visibility.
_FLOAT_KEYS = (0x0D, 0x15, 0x1D, 0x25)
_RECORDS = {fields: _record_dtype(fields) for fields in (3, 4)}


def landmark_rows(landmark_list) -> np.ndarray:
    """``(n, 4)`` float32 rows ``x, y, z, visibility`` of a MediaPipe ``NormalizedLandmarkList``
    (visibility NaN where MediaPipe does not set it: face and hands).

    Reads the list's serialised bytes with one structured ``np.frombuffer`` (MediaPipe writes every
    landmark with the same fields, so the records have a fixed size); reading the points one
    attribute at a time costs 0.8 ms per frame (measured: 2.5 % of Holistic's own time, the whole
    margin of the speed goal), this 0.05 ms. Any other layout (a field left out) falls back to the
    per-point read, which gives the same numbers.
    """
    data = landmark_list.SerializeToString()
    count = len(landmark_list.landmark)
    for fields, dtype in _RECORDS.items():
        if count == 0 or len(data) != count * dtype.itemsize:
            continue
        records = np.frombuffer(data, dtype=dtype)
        keys_match = all((records[f"key{i}"] == _FLOAT_KEYS[i]).all() for i in range(fields))
        if (records["list_key"] == 0x0A).all() and (records["size"] == dtype.itemsize - 2).all() and keys_match:
            rows = np.full((count, 4), np.nan, dtype=np.float32)
            for i in range(fields):
                rows[:, i] = records[f"value{i}"]
            return rows
    return landmark_rows_per_point(landmark_list)


def landmark_rows_per_point(landmark_list) -> np.ndarray:
    """:func:`landmark_rows` read point by point through the protobuf accessors (the reference)."""
    rows = np.full((len(landmark_list.landmark), 4), np.nan, dtype=np.float32)
    for row, point in zip(rows, landmark_list.landmark):
        row[:3] = point.x, point.y, point.z
        if point.HasField("visibility"):
            row[3] = point.visibility
    return rows


def _allocate(count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.empty((count, LANDMARK_COUNT, 3), dtype=np.float32),
        np.zeros((count, len(PARTS)), dtype=bool),
        np.empty((count, PART_SIZES["pose"]), dtype=np.float32),
    )


def extract_frames(
    frames: Iterable[np.ndarray],
    *,
    fps: float,
    expected_count: int | None = None,
    extractor: HolisticExtractor | None = None,
    on_frame: Callable[[int], None] | None = None,
) -> HolisticLandmarks:
    """Landmarks of consecutive frames of one video (tracking mode).

    Args:
        frames: ``(H, W, 3)`` uint8 RGB frames, all the same size.
        fps: the frames' rate, stored in the result.
        expected_count: frame count, when known, to preallocate (more frames still work).
        extractor: a graph to reuse; a new video-mode one is made (and closed) when None. A reused
            graph keeps tracking state: use a fresh one per video.
        on_frame: called with the number of frames done after each frame (progress bars).
    """
    landmarks, present, visibility = _allocate(expected_count or 64)
    size = None
    count = 0
    own = extractor is None
    graph = HolisticExtractor() if own else extractor
    try:
        for frame in frames:
            if size is None:
                size = frame.shape[:2]
            elif frame.shape[:2] != size:
                raise ValueError(f"frame {count} is {frame.shape[:2]}, the first frame was {size}")
            if count == len(landmarks):
                grown = _allocate(2 * count)
                for new, old in zip(grown, (landmarks, present, visibility)):
                    new[:count] = old
                landmarks, present, visibility = grown
            graph.process(frame, landmarks[count], present[count], visibility[count])
            count += 1
            if on_frame is not None:
                on_frame(count)
    finally:
        if own:
            graph.close()
    height, width = size if size is not None else (0, 0)
    return HolisticLandmarks(landmarks[:count], present[:count], visibility[:count], int(width), int(height), float(fps))


def extract_video(
    path: str | Path,
    *,
    on_frame: Callable[[int], None] | None = None,
    prefetch_frames: int = 0,
    min_detection_confidence: float = 0.5,
    min_tracking_confidence: float = 0.5,
) -> tuple[HolisticLandmarks, VideoInfo]:
    """Decode a video (PyAV, one pass over the file) and run Holistic on every frame.

    Args:
        min_detection_confidence, min_tracking_confidence: MediaPipe's thresholds (as
            :class:`HolisticExtractor`).
        prefetch_frames: decode this many frames ahead in a background thread (0: decode in
            line). Overlapping only shortens the wall time when a core is idle; a worker pool with
            one process per core keeps every core busy, and the thread then only adds switching.

    Returns:
        The landmarks (``T`` = decoded frames) and the stream's :class:`VideoInfo` (its
        ``frame_count`` is the header's, or the decoded count when the header states none).

    Raises:
        InputFileError: unreadable video, a frame that fails to decode, or no frames.
    """
    info, frames = open_video(path)
    if prefetch_frames > 0:
        frames = prefetch(frames, prefetch_frames)
    with HolisticExtractor(min_detection_confidence=min_detection_confidence,
                           min_tracking_confidence=min_tracking_confidence) as graph:
        result = extract_frames(frames, fps=info.fps, expected_count=info.frame_count or None, extractor=graph,
                                on_frame=on_frame)
    if info.frame_count == 0:
        info = replace(info, frame_count=result.frame_count)
    return result, info


def extract_image(image: np.ndarray | str | Path) -> HolisticLandmarks:
    """Landmarks of one picture (static mode): ``T`` = 1.

    Args:
        image: ``(H, W, 3)`` uint8 RGB array, or a picture file (png/jpg/... decoded with PyAV; a
            video file gives its first frame).
    """
    if not isinstance(image, np.ndarray):
        path = Path(image)
        frame = next(iter_video_frames(path), None)
        if frame is None:
            raise InputFileError(path, "no picture could be decoded")
        image = frame
    with HolisticExtractor(static_image_mode=True) as graph:
        return extract_frames([image], fps=0.0, expected_count=1, extractor=graph)
