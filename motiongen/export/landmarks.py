"""Sign-language outputs: MediaPipe Holistic landmarks (``landmarks.npz``, ``landmarks.json``) and a
preview video (``landmarks_preview.mp4``) of motion in the Slovo landmark format.

The format must hold the upper-body pose block and the hands block of
:mod:`motiongen.datasets.slovo.format` (matched by representation and landmark names); they are mapped
back to the 543-landmark Holistic layout with :func:`~motiongen.datasets.slovo.motion.holistic_landmarks`
(shoulder widths from the shoulder centre, image axes: x right, y down). The 468-point face mesh
comes from the face block's expression weights through the training cache's face-mesh model
(:mod:`motiongen.datasets.slovo.face_mesh`, the checkpoint extra of
:func:`~motiongen.datasets.slovo.face_mesh_file.face_mesh_of_extras` in ``job.options["extras"]``), placed at the
generated head by a per-frame similarity to the pose's nose, eyes, ears and mouth corners; its z is
in shoulder widths from the outer-eye-corner midpoint. Without a model (a checkpoint trained on a
cache built before face-mesh models existed) the face mesh is absent, the run's warnings say why,
and the preview draws a face from the weights instead.

``landmarks.npz``: ``landmarks`` (F, 543, 3) float32, NaN where absent; ``names`` (543,)
``<part>.<name>`` (face points ``face.000`` ... ``face.467``); ``present`` (543,) bool;
``face_weights`` (F, W); ``face_weight_names``; ``fps``.
``landmarks.json``: ``{"topology": "mediapipe_holistic", "fps", "units", "axes", "face_weight_names",
"frames": [{"pose": {name: [x, y]}, "face": {"000": [x, y, z], ...}, "left_hand": {name: [x, y, z]},
"right_hand": {...}, "face_weights": {name: w}}]}`` (only the landmarks the motion holds).
"""

from __future__ import annotations

import json
import logging

import numpy as np

from motiongen.core.holistic_layout import HAND_PARTS, PART_SLICES, connections, drawing_groups, landmark_index, landmark_names
from motiongen.core.motion_format import MotionBlock, MotionFormat, Representation
from motiongen.core.output_folder import LANDMARKS_FILE, LANDMARKS_JSON_FILE, LANDMARKS_PREVIEW_FILE, sample_name
from motiongen.datasets.slovo.face_mesh import ANCHORS, FaceMeshModel, place_mesh
from motiongen.datasets.slovo.face_mesh_file import face_mesh_of_extras
from motiongen.datasets.slovo.format import hand_point_names
from motiongen.datasets.slovo.motion import BODY_LANDMARKS, holistic_landmarks
from motiongen.export.registry import Exporter, ExportJob, register

log = logging.getLogger(__name__)

UNITS = ("shoulder widths from the shoulder centre; hand z from the wrist; face z from the outer-eye-corner "
         "midpoint")
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


def face_mesh_model(job: ExportJob) -> tuple[FaceMeshModel | None, str | None]:
    """``(model, None)`` when the face mesh can be written, else ``(None, why not)``."""
    _, _, face = _landmark_blocks(job.motion_format)
    if face is None:
        return None, "the motion has no expression-weight block"
    try:
        model = face_mesh_of_extras(job.options.get("extras"))
    except (ValueError, TypeError) as err:
        return None, f"the checkpoint's face-mesh model is unusable: {err}"
    if model is None:
        return None, ("the checkpoint carries no face-mesh model (its training cache was built before face-mesh "
                      "models existed); rebuild the cache with `motiongen preprocess data=slovo` and retrain")
    if tuple(model.weight_names) != tuple(face.names):
        return None, f"the face-mesh model reads the weights {list(model.weight_names)}, block {face.name!r} has {list(face.names)}"
    return model, None


def sample_landmarks(job: ExportJob, sample: int, model: FaceMeshModel | None = None
                     ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """``(landmarks (F, 543, 3), face weights (F, W), weight names)`` of one sample at ``job.out_fps``;
    with ``model`` the face mesh is placed at the pose's head (module docstring), else it is NaN."""
    from motiongen.core.framerate import resample_curves

    body, hands, face = _landmark_blocks(job.motion_format)
    arrays = [job.blocks[body.name][sample], job.blocks[hands.name][sample]]
    weights = job.blocks[face.name][sample] if face is not None else np.zeros((len(arrays[0]), 0), np.float32)
    if job.out_fps != job.fps:
        arrays = [resample_curves(a, job.fps, job.out_fps) for a in arrays]
        weights = resample_curves(weights, job.fps, job.out_fps)
    landmarks = holistic_landmarks(*arrays)
    if model is not None:
        anchors = landmarks[:, [landmark_index(f"pose.{name}") for name in ANCHORS], :2]
        landmarks[:, PART_SLICES["face"]] = place_mesh(model, weights, anchors)
    return landmarks, np.asarray(weights, np.float32), tuple(face.names) if face is not None else ()


def _job_face_mesh(job: ExportJob) -> FaceMeshModel | None:
    """The face-mesh model for this job; the reason it is missing goes to the run's warnings once."""
    model, reason = face_mesh_model(job)
    message = f"no face mesh in the landmark outputs: {reason}"
    if reason and message not in job.warnings:
        log.warning(message)
        job.warnings.append(message)
    return model


def _rounded(values: np.ndarray) -> list:
    return np.round(values.astype(np.float64), 5).tolist()


def landmarks_json(landmarks: np.ndarray, weights: np.ndarray, weight_names: tuple[str, ...], fps: float) -> dict:
    """The JSON document of one sample (module docstring); only landmarks present on every frame."""
    names = landmark_names()
    present = np.isfinite(landmarks[..., :2]).all(axis=(0, 2))
    parts = {}
    for part in ("pose", "face", *HAND_PARTS):
        rows = [i for i in range(PART_SLICES[part].start, PART_SLICES[part].stop) if present[i]]
        if not rows:
            continue
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
    model = _job_face_mesh(job)
    for k in range(len(job.suffixes)):
        landmarks, weights, weight_names = sample_landmarks(job, k, model)
        np.savez(job.staging / sample_name(LANDMARKS_FILE, k, len(job.suffixes)), landmarks=landmarks, names=np.array(landmark_names()),
                 present=np.isfinite(landmarks[..., :2]).all(axis=(0, 2)), face_weights=weights,
                 face_weight_names=np.array(weight_names, dtype=str), fps=np.float64(job.out_fps))
        document = landmarks_json(landmarks, weights, weight_names, job.out_fps)
        (job.staging / sample_name(LANDMARKS_JSON_FILE, k, len(job.suffixes))).write_text(json.dumps(document, ensure_ascii=False) + "\n", encoding="utf-8")


#: Room left around the pose landmarks' box for the hands, as a share of its size (a hand reaches
#: ~0.5 shoulder widths beyond the wrist; an upper body is ~1.5-2 shoulder widths across).
_HAND_ROOM = 0.15
_FACE_GROUPS = ("face_oval", "lips", "left_eye", "right_eye", "left_eyebrow", "right_eyebrow")
_COLOURS = {"pose_left": (40, 90, 200), "pose_right": (200, 50, 50), "pose_centre": (60, 60, 60),
            "left_hand": (40, 140, 220), "right_hand": (220, 90, 60), "face_oval": (90, 90, 90),
            "lips": (190, 60, 90), "left_eye": (40, 90, 200), "right_eye": (200, 50, 50),
            "left_eyebrow": (40, 90, 200), "right_eyebrow": (200, 50, 50), "tesselation": (200, 200, 195)}


def _fit_to_panel(xy: np.ndarray, fill: float, per_frame: bool = False, box: tuple | None = None) -> np.ndarray:
    """``(F, P, 2)`` -> panel pixels: the finite points (or ``box``, ``(low, high)`` each ``(1, 1, 2)``)
    fill ``fill`` of the panel, with one scale and centre for the whole clip, or (``per_frame``) each
    frame's own (a camera following the points)."""
    axes = (1,) if per_frame else (0, 1)
    low, high = box or (np.nanmin(xy, axis=axes, keepdims=True), np.nanmax(xy, axis=axes, keepdims=True))
    extent = np.maximum(np.nan_to_num(high - low).max(axis=-1, keepdims=True), 1e-6)
    return (xy - (low + high) / 2) * (fill * PREVIEW_SIZE / extent) + PREVIEW_SIZE / 2


def _body_box(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The clip's framing box ``(low, high)``, each ``(1, 1, 2)``, from the pose landmarks only: per
    landmark the 5th-95th percentile over frames, then the extreme landmarks, widened by
    :data:`_HAND_ROOM` of its size each side for the hands. A hand (or a short burst of any
    landmark) far off the body does not shrink the body. None when no pose landmark is finite."""
    pose = landmarks[:, PART_SLICES["pose"], :2]
    seen = np.isfinite(pose).all(axis=-1).any(axis=0)
    if not seen.any():
        return None
    low = np.nanpercentile(pose[:, seen], 5, axis=0).min(axis=0)
    high = np.nanpercentile(pose[:, seen], 95, axis=0).max(axis=0)
    room = _HAND_ROOM * (high - low).max()
    return (low - room).reshape(1, 1, 2), (high + room).reshape(1, 1, 2)


def body_panel_points(landmarks: np.ndarray) -> np.ndarray:
    """``(F, 543, 3)`` landmarks -> ``(F, 543, 2)`` pixels of the preview's body panel: one framing
    for the whole clip, on the pose landmarks' robust extent (:func:`_body_box`; all points when
    there is no pose), so an outlying hand cannot shrink or shift the body."""
    return _fit_to_panel(landmarks[..., :2], 0.84, box=_body_box(landmarks))


def _draw_edges(draw, points: np.ndarray, pairs: np.ndarray, colour, width: int, offset: float = 0.0) -> None:
    """Lines between ``points (P, 2)`` (panel pixels, shifted right by ``offset``) for the edges
    ``pairs (E, 2)`` whose both ends are finite."""
    ends = points[pairs]
    ends = ends[np.isfinite(ends).all(axis=(1, 2))] + np.array([offset, 0.0])
    for (ax, ay), (bx, by) in ends.tolist():
        draw.line([(ax, ay), (bx, by)], fill=colour, width=width)


def render_landmark_frames(landmarks: np.ndarray, face_weights_52: np.ndarray):
    """Yield ``(PREVIEW_SIZE, 2 * PREVIEW_SIZE, 3)`` uint8 frames. Left: pose, hands and the face
    mesh's contours (Holistic connections, framed by :func:`body_panel_points`). Right: the face mesh
    close up (tesselation and contours, each frame's face filling the panel) when the landmarks hold it,
    else a face drawn from ARKit weights ``(F, 52)``."""
    from PIL import Image, ImageDraw

    from motiongen.export.preview import draw_face, face_geometry

    screen = body_panel_points(landmarks)
    groups = {group: edges for group, edges in drawing_groups().items() if group in _COLOURS}
    face = PART_SLICES["face"]
    has_mesh = bool(np.isfinite(landmarks[:, face, :2]).all())
    if has_mesh:
        close_up = np.full_like(screen, np.nan)
        close_up[:, face] = _fit_to_panel(landmarks[:, face, :2], 0.9, per_frame=True)
        close_up_groups = {"tesselation": connections("face", "tesselation"),
                           **{group: groups[group] for group in _FACE_GROUPS}}
    else:
        geometry = face_geometry(face_weights_52)
    background = Image.new("RGB", (2 * PREVIEW_SIZE, PREVIEW_SIZE), (245, 245, 240))
    for frame in range(len(landmarks)):
        image = background.copy()
        draw = ImageDraw.Draw(image)
        for group, pairs in groups.items():
            _draw_edges(draw, screen[frame], pairs, _COLOURS[group], 1 if group in _FACE_GROUPS else 3)
        if has_mesh:
            for group, pairs in close_up_groups.items():
                _draw_edges(draw, close_up[frame], pairs, _COLOURS[group], 1 if group == "tesselation" else 2,
                            offset=PREVIEW_SIZE)
        else:
            panel = Image.new("RGB", (PREVIEW_SIZE, PREVIEW_SIZE), (245, 245, 240))
            draw_face(ImageDraw.Draw(panel), geometry, frame)
            image.paste(panel, (PREVIEW_SIZE, 0))
        yield np.asarray(image)


def _write_preview(job: ExportJob) -> None:
    from motiongen.export.video import write_mp4
    from motiongen.formats.arkit import ARKIT_NAMES

    landmarks, weights, weight_names = sample_landmarks(job, 0, _job_face_mesh(job))
    arkit = np.zeros((len(landmarks), len(ARKIT_NAMES)), np.float32)
    for column, name in enumerate(weight_names):
        if name in ARKIT_NAMES:
            arkit[:, ARKIT_NAMES.index(name)] = weights[:, column]
    write_mp4(job.staging / LANDMARKS_PREVIEW_FILE, render_landmark_frames(landmarks, arkit), 2 * PREVIEW_SIZE,
              PREVIEW_SIZE, job.out_fps, len(landmarks))


register(Exporter("landmarks", (LANDMARKS_FILE, LANDMARKS_JSON_FILE),
                  "pose and hand landmark blocks (MediaPipe Holistic names; the face mesh from a face-mesh model)",
                  needs_holistic_blocks, _write_landmarks))
register(Exporter("landmarks_preview", (LANDMARKS_PREVIEW_FILE,),
                  "pose and hand landmark blocks (MediaPipe Holistic names; the face mesh from a face-mesh model)",
                  needs_holistic_blocks, _write_preview))
