"""Retargeting BEAT BVH motion onto the SMPL-X skeleton, so BVH-trained models export SMPL-X.

Method (vectorised over frames and joints):

1. **Name map** (:data:`BEAT_TO_SMPLX`): 51 of the 55 SMPL-X joints take the rotation of one
   BEAT joint. BEAT joints without an SMPL-X counterpart (``Spine1``, ``Neck1``, the finger
   metacarpals ``*HandIndex``/``*HandRing``/``*HandPinky``, ``*ForeFoot``, end joints) are not
   dropped: their rotation is carried by the global rotation of the next mapped joint below them.
   SMPL-X's ``jaw`` and eyes have no BEAT joint; the jaw can follow ARKit ``jawOpen``.
2. **Rest-pose alignment**: both skeletons have world-aligned joint frames in a T-pose facing +Z
   with Y up, so a mapped joint starts from the BEAT joint's *global* rotation ``G_b``. For a
   joint with a bone to follow (its mapped child, :func:`primary_children`), the constant
   rotation ``A`` taking the SMPL-X rest bone direction onto BEAT's rest direction of the same
   span is applied (``G_b @ A``), then, per frame, the smallest rotation that turns that bone onto
   BEAT's actual direction of the span (which can cross unmapped BEAT joints). Twist about the
   bone is BEAT's. Joints without such a bone (pelvis, head, finger tips) take ``G_b`` as is.
3. Local rotations ``G_parent^T @ G_joint`` become SMPL-X axis-angle ``poses``; the root
   translation is BEAT's hip position, converted from cm to m and scaled by the ratio of the two
   skeletons' leg lengths, minus the SMPL-X rest pelvis position (SMPL-X adds ``trans`` to the
   rest pose).

Limits: bone *directions* of every mapped joint with a mapped child follow BEAT exactly (the test
checks within 0.5 degrees on the BEAT sample); bones to siblings of that child (the pelvis to the
hips and spine, the chest to the collars) keep the SMPL-X rest angle between siblings, so they
differ from BEAT's by how much the two rest skeletons differ there (stated per bone by
:func:`bone_direction_errors`). Bone lengths are SMPL-X's, so end effectors (hands, feet) are
not at BEAT's positions; no foot-contact or self-contact correction. Hand poses are absolute: a
viewer that adds the model's mean hand pose (``flat_hand_mean=False``, as EMAGE's renderer
does) shows them more curled. FLAME expressions are not derived from ARKit weights (zero),
except ``jawOpen`` driving the jaw joint.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motiongen.core.smplx_skeleton import (
    NUM_SMPLX_JOINTS,
    SMPLX_APPROX_REST_OFFSETS_M,
    SMPLX_JOINT_NAMES,
    SMPLX_PARENTS,
    rest_joint_positions,
)
from motiongen.core.skeleton import Skeleton
from motiongen.core.kinematics import forward_kinematics
from motiongen.core.rotations import axis_angle_to_matrix, euler_to_matrix, matrix_to_axis_angle


def _beat_to_smplx() -> dict[str, str]:
    mapping = {
        "pelvis": "Hips", "left_hip": "LeftUpLeg", "right_hip": "RightUpLeg", "spine1": "Spine",
        "left_knee": "LeftLeg", "right_knee": "RightLeg", "spine2": "Spine2",
        "left_ankle": "LeftFoot", "right_ankle": "RightFoot", "spine3": "Spine3",
        "left_foot": "LeftToeBase", "right_foot": "RightToeBase", "neck": "Neck",
        "left_collar": "LeftShoulder", "right_collar": "RightShoulder", "head": "Head",
        "left_shoulder": "LeftArm", "right_shoulder": "RightArm", "left_elbow": "LeftForeArm",
        "right_elbow": "RightForeArm", "left_wrist": "LeftHand", "right_wrist": "RightHand",
    }
    for side, beat_side in (("left", "Left"), ("right", "Right")):
        for finger, beat_finger in (("index", "Index"), ("middle", "Middle"), ("pinky", "Pinky"),
                                    ("ring", "Ring"), ("thumb", "Thumb")):
            for k in (1, 2, 3):
                mapping[f"{side}_{finger}{k}"] = f"{beat_side}Hand{beat_finger}{k}"
    return mapping


#: SMPL-X joint name -> BEAT joint name (joints absent here: ``jaw``, ``*_eye_smplhf``).
BEAT_TO_SMPLX: dict[str, str] = _beat_to_smplx()
#: Degrees of jaw opening (rotation about +X) at ARKit ``jawOpen`` = 1.
JAW_OPEN_DEGREES = 25.0


def primary_children(mapping: dict[str, str] = BEAT_TO_SMPLX) -> dict[int, int]:
    """``{joint: child}`` SMPL-X index pairs whose bone direction follows BEAT: the child when a
    joint has exactly one mapped child; the neck for ``spine3`` and the middle finger for the
    wrists. The pelvis (hips and spine) has none."""
    chosen = {"spine3": "neck", "left_wrist": "left_middle1", "right_wrist": "right_middle1"}
    pairs = {}
    for joint, name in enumerate(SMPLX_JOINT_NAMES):
        if name not in mapping or name == "pelvis":
            continue
        children = [c for c in range(NUM_SMPLX_JOINTS) if SMPLX_PARENTS[c] == joint
                    and SMPLX_JOINT_NAMES[c] in mapping]
        if name in chosen:
            pairs[joint] = SMPLX_JOINT_NAMES.index(chosen[name])
        elif len(children) == 1:
            pairs[joint] = children[0]
    return pairs


def smplx_skeleton(rest_positions: np.ndarray) -> Skeleton:
    """SMPL-X as a :class:`Skeleton` (offsets in the units of ``rest_positions``, (55, 3))."""
    offsets = np.asarray(rest_positions, dtype=np.float64).copy()
    offsets[1:] -= offsets[SMPLX_PARENTS[1:]]
    offsets[0] = 0.0
    return Skeleton(names=list(SMPLX_JOINT_NAMES), parents=SMPLX_PARENTS.copy(), offsets=offsets,
                    channels=[("Xrotation", "Yrotation", "Zrotation")] * NUM_SMPLX_JOINTS,
                    rotation_orders=["XYZ"] * NUM_SMPLX_JOINTS)


def smplx_joint_positions(poses: np.ndarray, trans: np.ndarray, rest_positions: np.ndarray) -> np.ndarray:
    """Forward kinematics of SMPL-X poses: ``(F, 165)`` radians + ``(F, 3)`` m -> ``(F, 55, 3)`` m
    (the joints the ``smplx`` package returns for the same rest joints)."""
    poses = np.asarray(poses, dtype=np.float64)
    rest = np.asarray(rest_positions, dtype=np.float64)
    local = axis_angle_to_matrix(poses.reshape(len(poses), NUM_SMPLX_JOINTS, 3))
    return forward_kinematics(smplx_skeleton(rest), local, np.asarray(trans, dtype=np.float64) + rest[0])


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def rotation_between(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Smallest rotations ``(..., 3, 3)`` turning directions ``source`` onto ``target`` (``(..., 3)``)."""
    a, b = _unit(np.asarray(source, dtype=np.float64)), _unit(np.asarray(target, dtype=np.float64))
    axis = np.cross(a, b)
    sin = np.linalg.norm(axis, axis=-1)
    cos = np.einsum("...i,...i->...", a, b)
    angle = np.arctan2(sin, cos)
    # Opposite directions: any axis perpendicular to the source.
    fallback = np.cross(a, np.where(np.abs(a[..., :1]) < 0.9, [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]))
    axis = np.where((sin < 1e-9)[..., None], _unit(fallback), axis / np.maximum(sin, 1e-300)[..., None])
    return axis_angle_to_matrix(axis * angle[..., None])


@dataclass
class RetargetedMotion:
    """SMPL-X motion retargeted from BVH: ``poses`` (F, 165) radians, ``trans`` (F, 3) metres."""

    poses: np.ndarray
    trans: np.ndarray


def _rest_global(skeleton: Skeleton) -> np.ndarray:
    positions = np.zeros((skeleton.num_joints, 3))
    for joint in range(1, skeleton.num_joints):
        positions[joint] = positions[skeleton.parents[joint]] + skeleton.offsets[joint]
    return positions


def _leg_length(positions: np.ndarray, hip: int, knee: int, ankle: int) -> float:
    return float(np.linalg.norm(positions[knee] - positions[hip]) + np.linalg.norm(positions[ankle] - positions[knee]))


def retarget_bvh_to_smplx(skeleton: Skeleton, euler_deg: np.ndarray, root_translation: np.ndarray,
                          rest_positions: np.ndarray | None = None,
                          jaw_open: np.ndarray | None = None) -> RetargetedMotion:
    """Retarget BEAT-skeleton motion onto SMPL-X (method and limits in the module docstring).

    Args:
        skeleton: the BVH hierarchy (BEAT joint names; offsets in cm).
        euler_deg: ``(F, J, 3)`` local rotations, degrees, in each joint's Euler order.
        root_translation: ``(F, 3)`` hip position, cm.
        rest_positions: ``(55, 3)`` SMPL-X rest joints in metres (from a model file); default the
            approximate rest skeleton.
        jaw_open: optional ``(F,)`` ARKit ``jawOpen`` weights in [0, 1] driving the jaw.

    Raises:
        KeyError: naming the BEAT joints of the name map that ``skeleton`` lacks.
    """
    euler_deg = np.asarray(euler_deg, dtype=np.float64)
    frames = len(euler_deg)
    rest_s = rest_joint_positions(SMPLX_APPROX_REST_OFFSETS_M) if rest_positions is None else np.asarray(rest_positions, np.float64)
    if rest_s.shape != (NUM_SMPLX_JOINTS, 3):
        raise ValueError(f"rest_positions must have shape ({NUM_SMPLX_JOINTS}, 3), got {rest_s.shape}")
    mapped = [j for j, name in enumerate(SMPLX_JOINT_NAMES) if name in BEAT_TO_SMPLX]
    beat_index = dict(zip(mapped, skeleton.index_of([BEAT_TO_SMPLX[SMPLX_JOINT_NAMES[j]] for j in mapped])))

    local_b = np.empty(euler_deg.shape[:2] + (3, 3))
    orders = np.array(skeleton.rotation_orders)
    for order in np.unique(orders):
        joints = np.flatnonzero(orders == order)
        local_b[:, joints] = euler_to_matrix(euler_deg[:, joints], str(order))
    positions_b, global_b = forward_kinematics(skeleton, local_b, root_translation, return_rotations=True)
    rest_b = _rest_global(skeleton)

    global_s = np.empty((frames, NUM_SMPLX_JOINTS, 3, 3))
    primary = primary_children()
    for joint in range(NUM_SMPLX_JOINTS):  # parents first; unmapped joints follow their parent
        if joint not in beat_index:
            global_s[:, joint] = global_s[:, SMPLX_PARENTS[joint]]
            continue
        g = global_b[:, beat_index[joint]]
        if joint in primary:
            child = primary[joint]
            rest_bone = rest_s[child] - rest_s[joint]
            align = rotation_between(rest_bone, rest_b[beat_index[child]] - rest_b[beat_index[joint]])
            g = g @ align
            target = positions_b[:, beat_index[child]] - positions_b[:, beat_index[joint]]
            g = rotation_between(g @ rest_bone, target) @ g
        global_s[:, joint] = g
    local_s = np.empty_like(global_s)
    local_s[:, 0] = global_s[:, 0]
    local_s[:, 1:] = np.swapaxes(global_s[:, SMPLX_PARENTS[1:]], -1, -2) @ global_s[:, 1:]
    poses = matrix_to_axis_angle(local_s)
    if jaw_open is not None:
        jaw_open = np.clip(np.asarray(jaw_open, dtype=np.float64).reshape(-1), 0.0, 1.0)
        if jaw_open.shape != (frames,):
            raise ValueError(f"jaw_open must have shape ({frames},), got {jaw_open.shape}")
        poses[:, SMPLX_JOINT_NAMES.index("jaw")] = 0.0
        poses[:, SMPLX_JOINT_NAMES.index("jaw"), 0] = np.radians(JAW_OPEN_DEGREES) * jaw_open

    names = SMPLX_JOINT_NAMES.index
    scale = (_leg_length(rest_s, names("left_hip"), names("left_knee"), names("left_ankle"))
             / max(_leg_length(rest_b / 100.0, beat_index[names("left_hip")], beat_index[names("left_knee")],
                               beat_index[names("left_ankle")]), 1e-9))
    trans = positions_b[:, beat_index[0]] / 100.0 * scale - rest_s[0]
    return RetargetedMotion(poses=poses.reshape(frames, -1).astype(np.float32), trans=trans.astype(np.float32))


def bone_direction_errors(skeleton: Skeleton, euler_deg: np.ndarray, root_translation: np.ndarray,
                          motion: RetargetedMotion, rest_positions: np.ndarray | None = None) -> dict[str, float]:
    """Largest angle (degrees, over frames) between each SMPL-X bone whose two joints are mapped
    and BEAT's vector between the corresponding joints: ``{"parent->child": degrees}``."""
    rest_s = rest_joint_positions(SMPLX_APPROX_REST_OFFSETS_M) if rest_positions is None else np.asarray(rest_positions)
    local_b = np.empty(np.shape(euler_deg)[:2] + (3, 3))
    orders = np.array(skeleton.rotation_orders)
    for order in np.unique(orders):
        joints = np.flatnonzero(orders == order)
        local_b[:, joints] = euler_to_matrix(np.asarray(euler_deg)[:, joints], str(order))
    positions_b = forward_kinematics(skeleton, local_b, root_translation)
    positions_s = smplx_joint_positions(motion.poses, motion.trans, rest_s)
    errors = {}
    for child in range(1, NUM_SMPLX_JOINTS):
        parent = SMPLX_PARENTS[child]
        names = SMPLX_JOINT_NAMES[parent], SMPLX_JOINT_NAMES[child]
        if names[0] not in BEAT_TO_SMPLX or names[1] not in BEAT_TO_SMPLX:
            continue
        bp, bc = skeleton.index_of([BEAT_TO_SMPLX[names[0]], BEAT_TO_SMPLX[names[1]]])
        a = _unit(positions_s[:, child] - positions_s[:, parent])
        b = _unit(positions_b[:, bc] - positions_b[:, bp])
        cos = np.clip(np.einsum("fi,fi->f", a, b), -1.0, 1.0)
        errors[f"{names[0]}->{names[1]}"] = float(np.degrees(np.arccos(cos)).max())
    return errors
