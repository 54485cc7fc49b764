"""Sign-language outputs: MediaPipe Holistic landmarks (``landmarks.npz``, ``landmarks.json``) and a
preview video (``landmarks_preview.mp4``) of motion in the Slovo landmark format.

The format must hold the upper-body pose block and the hands block of
:mod:`motiongen.corpus.slovo_format` (matched by representation and landmark names); they are mapped
back to the 543-landmark Holistic layout with :func:`~motiongen.corpus.slovo_motion.holistic_landmarks`
(shoulder widths from the shoulder centre, image axes: x right, y down). The 468-point face mesh is
not generated (the face is nine expression weights), so its landmarks are absent; the weights are
written beside the landmarks and drive the preview's drawn face.

``landmarks.npz``: ``landmarks`` (F, 543, 3) float32, NaN where absent; ``names`` (543,)
``<part>.<name>``; ``present`` (543,) bool; ``face_weights`` (F, W); ``face_weight_names``; ``fps``.
``landmarks.json``: ``{"topology": "mediapipe_holistic", "fps", "units", "axes", "face_weight_names",
"frames": [{"pose": {name: [x, y]}, "left_hand": {name: [x, y, z]}, "right_hand": {...},
"face_weights": {name: w}}]}`` (only the landmarks the motion holds).
"""

from __future__ import annotations

import json

import numpy as np

from motiongen.core.holistic_layout import HAND_PARTS, PART_SLICES, drawing_groups, landmark_names
from motiongen.core.motion_format import MotionBlock, MotionFormat, Representation
from motiongen.corpus.slovo_format import hand_point_names
from motiongen.corpus.slovo_motion import BODY_LANDMARKS, holistic_landmarks
from motiongen.export.registry import Exporter, ExportJob, register

UNITS = "shoulder widths from the shoulder centre; hand z from the wrist"
AXES = "image: x right, y down (as MediaPipe); left/right = the person's own side"
PREVIEW_SIZE = 480  # pixels per panel; the video is 2 panels wide


def _landmark_blocks(fmt: MotionFormat) -> tuple[MotionBlock | None, MotionBlock | None, MotionBlock | None]:
    """The format's pose, hands and face-weight blocks in the Slovo landmark layout (None when absent)."""
    pose_names = tuple(f"pose.{name}" for name in BODY_LANDMARKS)
    body = next((b for b in fmt.blocks_of(Representation.LANDMARKS_2D) if b.names == pose_names), None)
    hands = next((b for b in fmt.blocks_of(Representation.LANDMARKS_3D) if b.names == hand_point_names()), None)
    face = next(iter(fmt.blocks_of(Representation.ARKIT_WEIGHTS)), None)
    return body, hands, face


def needs_holistic_blocks(fmt: MotionFormat) -> str | None:
    """Why ``fmt`` cannot be written as Holistic landmarks, or None."""
    body, hands, _ = _landmark_blocks(fmt)
    if body is None or hands is None:
        return "needs the upper-body pose (landmarks_2d) and hands (landmarks_3d) blocks of a landmark corpus such as Slovo"
    return None


def sample_landmarks(job: ExportJob, sample: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """``(landmarks (F, 543, 3), face weights (F, W), weight names)`` of one sample at ``job.out_fps``."""
    from motiongen.core.framerate import resample_curves

    body, hands, face = _landmark_blocks(job.motion_format)
    arrays = [job.blocks[body.name][sample], job.blocks[hands.name][sample]]
    weights = job.blocks[face.name][sample] if face is not None else np.zeros((len(arrays[0]), 0), np.float32)
    if job.out_fps != job.fps:
        arrays = [resample_curves(a, job.fps, job.out_fps) for a in arrays]
        weights = resample_curves(weights, job.fps, job.out_fps)
    return holistic_landmarks(*arrays), np.asarray(weights, np.float32), tuple(face.names) if face is not None else ()


def _rounded(values: np.ndarray) -> list:
    return np.round(values.astype(np.float64), 5).tolist()


def landmarks_json(landmarks: np.ndarray, weights: np.ndarray, weight_names: tuple[str, ...], fps: float) -> dict:
    """The JSON document of one sample (module docstring); only landmarks present on every frame."""
    names = landmark_names()
    present = np.isfinite(landmarks[..., :2]).all(axis=(0, 2))
    parts = {}
    for part in ("pose", *HAND_PARTS):
        rows = [i for i in range(PART_SLICES[part].start, PART_SLICES[part].stop) if present[i]]
        width = 2 if part == "pose" else 3
        parts[part] = ([names[i].split(".", 1)[1] for i in rows], _rounded(landmarks[:, rows, :width]))
    frames = []
    for frame in range(len(landmarks)):
        entry = {part: dict(zip(local, values[frame])) for part, (local, values) in parts.items()}
        entry["face_weights"] = dict(zip(weight_names, _rounded(weights[frame])))
        frames.append(entry)
    return {"topology": "mediapipe_holistic", "fps": float(fps), "units": UNITS, "axes": AXES,
            "face_weight_names": list(weight_names), "frames": frames}


def _write_landmarks(job: ExportJob) -> None:
    for k, suffix in enumerate(job.suffixes):
        landmarks, weights, weight_names = sample_landmarks(job, k)
        np.savez(job.staging / f"landmarks{suffix}.npz", landmarks=landmarks, names=np.array(landmark_names()),
                 present=np.isfinite(landmarks[..., :2]).all(axis=(0, 2)), face_weights=weights,
                 face_weight_names=np.array(weight_names, dtype=str), fps=np.float64(job.out_fps))
        document = landmarks_json(landmarks, weights, weight_names, job.out_fps)
        (job.staging / f"landmarks{suffix}.json").write_text(json.dumps(document, ensure_ascii=False) + "\n", encoding="utf-8")


def render_landmark_frames(landmarks: np.ndarray, face_weights_52: np.ndarray):
    """Yield ``(PREVIEW_SIZE, 2 * PREVIEW_SIZE, 3)`` uint8 frames: pose and hands (Holistic
    connections, scaled to fit the whole clip) left, the face drawn from ARKit weights ``(F, 52)`` right."""
    from PIL import Image, ImageDraw

    from motiongen.export.preview import draw_face, face_geometry

    xy = landmarks[..., :2]
    finite = np.isfinite(xy).all(axis=-1)
    low, high = np.nanmin(xy[finite], axis=0), np.nanmax(xy[finite], axis=0)
    scale = 0.84 * PREVIEW_SIZE / max(float((high - low).max()), 1e-6)
    screen = (xy - (low + high) / 2) * scale + PREVIEW_SIZE / 2
    colours = {"pose_left": (40, 90, 200), "pose_right": (200, 50, 50), "pose_centre": (60, 60, 60),
               "left_hand": (40, 140, 220), "right_hand": (220, 90, 60)}
    edges = {group: e for group, e in drawing_groups().items() if group in colours}
    geometry = face_geometry(face_weights_52)
    background = Image.new("RGB", (2 * PREVIEW_SIZE, PREVIEW_SIZE), (245, 245, 240))
    for frame in range(len(landmarks)):
        image = background.copy()
        draw = ImageDraw.Draw(image)
        for group, pairs in edges.items():
            for a, b in pairs:
                if finite[frame, a] and finite[frame, b]:
                    draw.line([tuple(screen[frame, a]), tuple(screen[frame, b])], fill=colours[group], width=3)
        face = Image.new("RGB", (PREVIEW_SIZE, PREVIEW_SIZE), (245, 245, 240))
        draw_face(ImageDraw.Draw(face), geometry, frame)
        image.paste(face, (PREVIEW_SIZE, 0))
        yield np.asarray(image)


def _write_preview(job: ExportJob) -> None:
    from motiongen.export.video import write_mp4
    from motiongen.formats.arkit import ARKIT_NAMES

    landmarks, weights, weight_names = sample_landmarks(job, 0)
    arkit = np.zeros((len(landmarks), len(ARKIT_NAMES)), np.float32)
    for column, name in enumerate(weight_names):
        if name in ARKIT_NAMES:
            arkit[:, ARKIT_NAMES.index(name)] = weights[:, column]
    write_mp4(job.staging / "landmarks_preview.mp4", render_landmark_frames(landmarks, arkit), 2 * PREVIEW_SIZE,
              PREVIEW_SIZE, job.out_fps, len(landmarks))


register(Exporter("landmarks", ("landmarks.npz", "landmarks.json"), "pose and hand landmark blocks (MediaPipe Holistic names)",
                  needs_holistic_blocks, _write_landmarks))
register(Exporter("landmarks_preview", ("landmarks_preview.mp4",), "pose and hand landmark blocks (MediaPipe Holistic names)",
                  needs_holistic_blocks, _write_preview))
