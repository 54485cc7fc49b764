"""Generated motion → ``(F, 543, 2)`` Holistic landmarks in a reference image's pixels.

1. **View.** Joint positions are projected orthographically onto a camera facing the character
   at the first frame: x along the shoulder line (towards the person's left shoulder, which is
   image-right for a person facing the camera), y down.
2. **Camera.** A similarity (scale, rotation, translation) maps the first frame's projected body
   joints onto the reference image's detected pose landmarks (least squares over the table's
   pose landmarks MediaPipe found).
3. **Relative motion.** Every mapped body landmark is the reference's own landmark plus the
   camera-mapped displacement of its joint since the first frame, so the reference person's
   proportions stay. Landmarks missing in the reference use the camera-mapped joint position.
4. **Hands.** Each hand (its 21 landmarks and the pose's knuckle points) hangs from the wrist of
   step 3: the motion's finger joints relative to its hand joint, in camera axes, turned towards
   the camera by ``hands_to_camera`` (:mod:`.hands`), projected, camera-mapped and scaled to the
   person's hand size (:func:`hand_scale`). Unscaled joint displacements would mix two hand sizes
   (the BEAT hand is a third of the person's on the Slovo sample). The hand is the motion's from
   the first frame on, not the reference's: adding the motion's change of 2-D offsets to the
   reference's hand is not a rotation and shrank the sample's right hand to a median 0.08
   shoulder widths from wrist to knuckle, against 0.16 with the motion's own hand.
5. **Head.** The face (and the head's pose landmarks) is the reference face deformed by the ARKit
   weights (:mod:`.face`), rotated in 3-D about its centre by the head joint's rotation since the
   first frame (in camera axes, using MediaPipe's relative depth) and moved with the head joint.
"""

from __future__ import annotations

import numpy as np

import torch

from motiongen.core.holistic_layout import LANDMARK_COUNT, PART_SLICES, landmark_index
from render.errors import RenderError
from render.geometry import fit_similarity
from render.retarget.face import deform_face
from render.retarget.hands import turn_to_camera
from render.retarget.joint_table import HAND_LENGTH_JOINT, HEAD_JOINT, SHOULDER_JOINTS, beat_to_holistic
from render.retarget.motion import RenderMotion

HEAD_POSE_LANDMARKS = np.arange(0, 11)   # nose, eyes, ears, mouth corners of the pose part
HAND_POSE_POINTS = ("pinky", "index", "thumb")   # the pose's knuckle points move with the hand


def person_hand_length(reference: np.ndarray) -> float:
    """The reference person's hand length in pixels (wrist to middle-finger knuckle), the largest
    over the hands MediaPipe found (a hand seen at a slant looks shorter); without a detected
    hand, the pose's wrist to index knuckle; NaN when neither is there."""
    lengths = [np.linalg.norm(reference[landmark_index(f"{side}_hand.middle_finger_mcp"), :2]
                              - reference[landmark_index(f"{side}_hand.wrist"), :2]) for side in ("left", "right")]
    if not np.isfinite(lengths).any():
        lengths = [np.linalg.norm(reference[landmark_index(f"pose.{side}_index"), :2]
                                  - reference[landmark_index(f"pose.{side}_wrist"), :2]) for side in ("left", "right")]
    return float(np.nanmax(lengths)) if np.isfinite(lengths).any() else float("nan")


def hand_scale(motion: RenderMotion, reference: np.ndarray, pixels_per_unit: float) -> float:
    """Factor on the camera-mapped hand offsets giving the person's hand length: the person's
    length (:func:`person_hand_length`) over the motion skeleton's hand length (hand joint to
    middle knuckle in 3-D at the first frame, so a hand seen end-on does not count as short)
    times the camera's ``pixels_per_unit``; 1 when the reference shows no hand or wrist."""
    names = motion.joint_names
    length = np.linalg.norm(motion.positions[0, names.index(HAND_LENGTH_JOINT[0])] - motion.positions[0, names.index(HAND_LENGTH_JOINT[1])])
    person = person_hand_length(reference)
    return person / (length * pixels_per_unit) if np.isfinite(person) and length > 0 else 1.0


def camera_axes(positions: np.ndarray, joint_names: list[str]) -> np.ndarray:
    """``(3, 3)`` rows: image x (shoulder line, horizontal), image y (down), depth (away)."""
    left, right = (positions[0, joint_names.index(name)] for name in SHOULDER_JOINTS)
    up = np.array([0.0, 1.0, 0.0])
    across = (left - right) - np.dot(left - right, up) * up
    norm = np.linalg.norm(across)
    if norm < 1e-6:
        raise RenderError("the motion's shoulders coincide at the first frame; cannot place a camera")
    x_axis = across / norm
    y_axis = -up
    return np.stack([x_axis, y_axis, np.cross(x_axis, y_axis)])


def retarget(motion: RenderMotion, reference: np.ndarray, basis: np.ndarray | None = None,
             hands_to_camera: float = 1.0) -> np.ndarray:
    """Landmarks of every motion frame in the reference image.

    Args:
        motion: joint positions/rotations and ARKit weights (:func:`read_generation_folder`).
        reference: ``(543, 3)`` reference landmarks in pixels (x, y, depth in x's scale), NaN where
            MediaPipe found nothing; pose and face are required.
        basis: ``(52, 468, 2)`` blendshape offsets (default: :func:`face.default_basis`).
        hands_to_camera: fraction in ``[0, 1]`` of the turn of each hand towards the camera
            (:func:`.hands.turn_to_camera`; 0 draws the hands as the motion projects them).

    Returns:
        ``(F, 543, 2)`` pixel positions (NaN where neither the reference nor the table gives one).
    """
    face_slice = PART_SLICES["face"]
    if not np.isfinite(reference[PART_SLICES["pose"], :2]).any():
        raise RenderError("no person found in the reference image")
    if not np.isfinite(reference[face_slice, :2]).all():
        raise RenderError("no face found in the reference image")
    names = motion.joint_names
    table = beat_to_holistic()
    missing = sorted({joint for joint in table.values() if joint not in names} | ({HEAD_JOINT} - set(names)))
    if missing:
        raise RenderError(f"the motion's skeleton lacks joints the renderer maps: {', '.join(missing)}")
    axes = camera_axes(motion.positions, names)
    projected = motion.positions @ axes.T                                   # (F, J, 3) camera axes
    targets = np.array([landmark_index(name) for name in table])
    joints = np.array([names.index(joint) for joint in table.values()])
    body = projected[:, joints, :2]                                         # (F, N, 2)
    anchor = reference[targets, :2]
    weights = np.isfinite(anchor).all(-1) & np.array([name.startswith("pose.") for name in table])
    matrix, translation = (t[0].numpy() for t in fit_similarity(torch.from_numpy(body[:1]), torch.from_numpy(anchor[None]),
                                                               torch.from_numpy(weights[None].astype(np.float64))))
    if weights.sum() < 2:
        raise RenderError("the reference image shows too few body landmarks (need two of shoulders/elbows/wrists/hips)")
    mapped = body @ matrix.T + translation                                  # (F, N, 2) camera-mapped joints
    start = np.where(np.isfinite(anchor).all(-1, keepdims=True), anchor, mapped[0])
    out = np.full((len(body), LANDMARK_COUNT, 2), np.nan)
    out[:, targets] = start + (mapped - mapped[:1])
    scale = hand_scale(motion, reference, float(np.sqrt(abs(np.linalg.det(matrix)))))
    rows = list(table)
    for side in ("left", "right"):
        wrist = rows.index(f"pose.{side}_wrist")
        hand = [row for row, name in enumerate(rows)
                if name.startswith(f"{side}_hand.") or name in {f"pose.{side}_{point}" for point in HAND_POSE_POINTS}]
        knuckles = [hand.index(rows.index(f"{side}_hand.{name}_mcp")) for name in ("middle_finger", "index_finger", "pinky")]
        offsets = projected[:, joints[hand]] - projected[:, joints[[wrist]]]        # (F, H, 3) camera axes
        offsets = turn_to_camera(offsets, *knuckles, hands_to_camera)[..., :2] @ matrix.T
        out[:, targets[hand]] = out[:, targets[[wrist]]] + scale * offsets

    head = names.index(HEAD_JOINT)
    relative = motion.rotations[:, head] @ motion.rotations[0, head].T    # (F, 3, 3) world
    in_camera = axes @ relative @ axes.T
    head_shift = (projected[:, head, :2] - projected[0, head, :2]) @ matrix.T
    faces = deform_face(reference[face_slice, :2], motion.weights, basis)   # (F, 468, 2)
    head_points = np.concatenate([faces, np.broadcast_to(reference[HEAD_POSE_LANDMARKS, :2], (len(faces), 11, 2))], 1)
    depth = np.concatenate([reference[face_slice, 2], np.zeros(11)])
    depth = np.nan_to_num(depth - np.nanmean(depth[:468]))
    centre = reference[face_slice, :2].mean(0)
    local = np.concatenate([head_points - centre, np.broadcast_to(depth[None, :, None], (len(faces), len(depth), 1))], -1)
    rotated = np.einsum("fij,fnj->fni", in_camera, local)[..., :2] + centre + head_shift[:, None]
    out[:, face_slice] = rotated[:, :468]
    out[:, HEAD_POSE_LANDMARKS] = np.where(np.isfinite(reference[HEAD_POSE_LANDMARKS, :2]), rotated[:, 468:], np.nan)
    return out
