"""The SMPL-X skeleton as data: joint names, kinematic tree and an approximate rest pose (numpy
only; the named joint subsets are package data, :func:`motiongen.skeletons.resolve_joint_selection`).

SMPL-X poses are 55 joints of axis-angle, ``(F, 165)`` radians, joint-major, in the order of
:data:`SMPLX_JOINT_NAMES` (the order of the model file's ``kintree_table`` and of BEAT2's
``poses`` array):

=========  =======  =========================================================
indices    count    joints
=========  =======  =========================================================
0          1        ``pelvis`` (``global_orient`` in the ``smplx`` package)
1-21       21       body (``body_pose``)
22-24      3        ``jaw``, ``left_eye_smplhf``, ``right_eye_smplhf``
25-39      15       left hand: index, middle, pinky, ring, thumb (1-3 each)
40-54      15       right hand, same order
=========  =======  =========================================================

Every joint's local frame is aligned with the world frame in the rest pose (a T-pose, Y up,
the body facing +Z, its left at +X), so a zero pose is the rest pose.
"""

from __future__ import annotations

import numpy as np

_BODY = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar",
    "right_collar", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist",
)
_FACE = ("jaw", "left_eye_smplhf", "right_eye_smplhf")
_FINGERS = ("index", "middle", "pinky", "ring", "thumb")


def _hand(side: str) -> tuple[str, ...]:
    return tuple(f"{side}_{finger}{k}" for finger in _FINGERS for k in (1, 2, 3))


#: The 55 SMPL-X joints in model order.
SMPLX_JOINT_NAMES: tuple[str, ...] = _BODY + _FACE + _hand("left") + _hand("right")
NUM_SMPLX_JOINTS = len(SMPLX_JOINT_NAMES)


def _parents() -> np.ndarray:
    body = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19]
    face = [15, 15, 15]
    hands = []
    for wrist, first in ((20, 25), (21, 40)):
        for finger in range(len(_FINGERS)):
            base = first + 3 * finger
            hands += [wrist, base, base + 1]
    return np.array(body + face + hands, dtype=np.int64)


#: ``(55,)`` parent index of each joint (-1 for the pelvis); parents precede their children.
SMPLX_PARENTS: np.ndarray = _parents()

#: Number of FLAME expression coefficients in BEAT2 (``expressions`` is ``(F, 100)``).
NUM_FLAME_EXPRESSIONS = 100
#: Number of shape coefficients BEAT2 stores (``betas`` is ``(300,)``).
NUM_SMPLX_BETAS = 300

#: ``(55, 3)`` approximate rest-pose offset of each joint from its parent, metres (pelvis at the
#: origin). Proportions of a 175 cm body, the same anthropometric proportions as motiongen's
#: BEAT 75-joint template (``motiongen/skeletons``) at the corresponding joints; jaw and eyes from
#: head proportions. It stands in for a licensed model file's regressed joints when none is
#: given (stick-figure previews, retargeting, kinematic features); with a model folder, the
#: model's own joints are used instead.
SMPLX_APPROX_REST_OFFSETS_M: np.ndarray = np.array([
    (+0.0000, +0.0000, +0.0000),  # pelvis
    (+0.0869, +0.0000, +0.0000),  # left_hip
    (-0.0869, +0.0000, +0.0000),  # right_hip
    (+0.0000, +0.0500, -0.0350),  # spine1
    (+0.0000, -0.4288, +0.0000),  # left_knee
    (+0.0000, -0.4288, +0.0000),  # right_knee
    (+0.0000, +0.1999, -0.0175),  # spine2
    (+0.0000, -0.4305, +0.0000),  # left_ankle
    (+0.0000, -0.4305, +0.0000),  # right_ankle
    (+0.0000, +0.1041, +0.0175),  # spine3
    (+0.0000, -0.0683, +0.0931),  # left_foot
    (+0.0000, -0.0683, +0.0931),  # right_foot
    (+0.0000, +0.0625, +0.0175),  # neck
    (+0.0000, +0.0500, +0.0525),  # left_collar
    (+0.0000, +0.0500, +0.0525),  # right_collar
    (+0.0000, +0.1005, +0.0000),  # head
    (+0.2266, +0.0000, +0.0000),  # left_shoulder
    (-0.2266, +0.0000, +0.0000),  # right_shoulder
    (+0.3255, +0.0000, +0.0000),  # left_elbow
    (-0.3255, +0.0000, +0.0000),  # right_elbow
    (+0.2555, +0.0000, +0.0000),  # left_wrist
    (-0.2555, +0.0000, +0.0000),  # right_wrist
    (+0.0000, -0.0150, +0.0300),  # jaw
    (+0.0320, +0.0600, +0.0850),  # left_eye_smplhf
    (-0.0320, +0.0600, +0.0850),  # right_eye_smplhf
    (+0.0880, -0.0020, +0.0151),  # left_index1
    (+0.0435, +0.0000, +0.0031),  # left_index2
    (+0.0265, +0.0000, +0.0019),  # left_index3
    (+0.0869, +0.0000, +0.0000),  # left_middle1
    (+0.0454, +0.0000, +0.0000),  # left_middle2
    (+0.0302, +0.0000, +0.0000),  # left_middle3
    (+0.0740, -0.0040, -0.0229),  # left_pinky1
    (+0.0359, +0.0000, -0.0026),  # left_pinky2
    (+0.0227, +0.0000, -0.0016),  # left_pinky3
    (+0.0843, -0.0020, -0.0149),  # left_ring1
    (+0.0435, +0.0000, -0.0031),  # left_ring2
    (+0.0283, +0.0000, -0.0020),  # left_ring3
    (+0.0060, -0.0100, +0.0180),  # left_thumb1
    (+0.0423, -0.0079, +0.0238),  # left_thumb2
    (+0.0287, -0.0054, +0.0162),  # left_thumb3
    (-0.0880, -0.0020, +0.0151),  # right_index1
    (-0.0435, +0.0000, +0.0031),  # right_index2
    (-0.0265, +0.0000, +0.0019),  # right_index3
    (-0.0869, +0.0000, +0.0000),  # right_middle1
    (-0.0454, +0.0000, +0.0000),  # right_middle2
    (-0.0302, +0.0000, +0.0000),  # right_middle3
    (-0.0740, -0.0040, -0.0229),  # right_pinky1
    (-0.0359, +0.0000, -0.0026),  # right_pinky2
    (-0.0227, +0.0000, -0.0016),  # right_pinky3
    (-0.0843, -0.0020, -0.0149),  # right_ring1
    (-0.0435, +0.0000, -0.0031),  # right_ring2
    (-0.0283, +0.0000, -0.0020),  # right_ring3
    (-0.0060, -0.0100, +0.0180),  # right_thumb1
    (-0.0423, -0.0079, +0.0238),  # right_thumb2
    (-0.0287, -0.0054, +0.0162),  # right_thumb3
], dtype=np.float64)

#: Height of the approximate rest pelvis above the floor (the ankles' height above the soles
#: included), metres.
SMPLX_APPROX_PELVIS_HEIGHT_M = 0.9275


def smplx_joint_indices(names) -> np.ndarray:
    """``(K,)`` model indices of SMPL-X joint names.

    Raises:
        KeyError: naming every unknown joint (and the valid names).
    """
    lookup = {name: index for index, name in enumerate(SMPLX_JOINT_NAMES)}
    unknown = [name for name in names if name not in lookup]
    if unknown:
        raise KeyError(f"not SMPL-X joint names: {', '.join(map(str, unknown))} "
                       f"(valid: {', '.join(SMPLX_JOINT_NAMES)})")
    return np.array([lookup[name] for name in names], dtype=np.int64)


def rest_joint_positions(offsets: np.ndarray = SMPLX_APPROX_REST_OFFSETS_M) -> np.ndarray:
    """``(55, 3)`` rest-pose joint positions (same units as ``offsets``) from parent offsets."""
    offsets = np.asarray(offsets, dtype=np.float64)
    positions = np.zeros_like(offsets)
    for joint in range(1, NUM_SMPLX_JOINTS):
        positions[joint] = positions[SMPLX_PARENTS[joint]] + offsets[joint]
    return positions


def rest_offsets(positions: np.ndarray) -> np.ndarray:
    """``(55, 3)`` parent offsets from ``(55, 3)`` rest joint positions (inverse of
    :func:`rest_joint_positions`, with the pelvis position kept as its offset)."""
    positions = np.asarray(positions, dtype=np.float64)
    offsets = positions.copy()
    offsets[1:] -= positions[SMPLX_PARENTS[1:]]
    return offsets
