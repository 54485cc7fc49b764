"""BEAT skeleton → Unity humanoid bones (what VMC receivers such as VSeeFace, Warudo, EVMC4U read).

Joint table
-----------
:data:`UNITY_FROM_BEAT` maps each Unity ``HumanBodyBones`` name to the BEAT joint whose rotation it
takes. BEAT has more spine, neck and foot joints than a Unity humanoid, plus a metacarpal joint
for the index, ring and little fingers; those in-between joints are folded into the next mapped
bone below them: a Unity bone's local rotation is the product of the BEAT local rotations from
just below its Unity parent's BEAT joint down to its own BEAT joint (in BEAT the thumb hangs
below the index metacarpal and the little finger below the ring one)::

    Unity bone          BEAT joint        BEAT joints folded in (top-down)
    Hips                Hips              -
    Spine               Spine             -
    Chest               Spine1            -
    UpperChest          Spine3            Spine2
    Neck                Neck              -
    Head                Head              Neck1
    Left/RightShoulder  *Shoulder         -
    *UpperArm           *Arm              -
    *LowerArm           *ForeArm          -
    *Hand               *Hand             -
    *Thumb{Proximal,Intermediate,Distal}  *HandThumb{1,2,3}  *HandIndex into Proximal
    *Index{...}         *HandIndex{1,2,3}  *HandIndex (metacarpal) into Proximal
    *Middle{...}        *HandMiddle{1,2,3}
    *Ring{...}          *HandRing{1,2,3}   *HandRing into Proximal
    *Little{...}        *HandPinky{1,2,3}  *HandRing, *HandPinky into Proximal
    *UpperLeg           *UpLeg            -
    *LowerLeg           *Leg              -
    *Foot               *Foot             -
    *Toes               *ToeBase          *ForeFoot

This is exact for every mapped bone's global orientation: the folded product equals the BEAT
global rotation of the mapped joint relative to its mapped parent. BEAT's rest pose (all angles
zero) is a T-pose whose joint frames are aligned with the world axes — the same convention as a
normalised VRM/Unity humanoid, whose bones have identity local rotations in the T-pose — so the
BEAT local rotations are sent as they are, after the axis change below.

Axes
----
BEAT/BVH: right-handed, Y up, the character faces +Z, its left hand is at +X, centimetres.
Unity: left-handed, Y up, faces +Z, its left hand at -X, metres. The change is the mirror
``S = diag(-1, 1, 1)``: a position ``(x, y, z)`` cm becomes ``(-x, y, z) / 100`` m, a rotation
matrix ``R`` becomes ``S R S``, i.e. a quaternion ``(x, y, z, w)`` becomes ``(x, -y, -z, w)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motiongen.core.rotations import matrix_to_quaternion
from motiongen.core.skeleton import Skeleton

_SIDE_BONES = (
    ("Shoulder", "Shoulder"), ("UpperArm", "Arm"), ("LowerArm", "ForeArm"), ("Hand", "Hand"),
    ("ThumbProximal", "HandThumb1"), ("ThumbIntermediate", "HandThumb2"), ("ThumbDistal", "HandThumb3"),
    ("IndexProximal", "HandIndex1"), ("IndexIntermediate", "HandIndex2"), ("IndexDistal", "HandIndex3"),
    ("MiddleProximal", "HandMiddle1"), ("MiddleIntermediate", "HandMiddle2"), ("MiddleDistal", "HandMiddle3"),
    ("RingProximal", "HandRing1"), ("RingIntermediate", "HandRing2"), ("RingDistal", "HandRing3"),
    ("LittleProximal", "HandPinky1"), ("LittleIntermediate", "HandPinky2"), ("LittleDistal", "HandPinky3"),
    ("UpperLeg", "UpLeg"), ("LowerLeg", "Leg"), ("Foot", "Foot"), ("Toes", "ToeBase"),
)  # fmt: skip

#: ``{Unity HumanBodyBones name: BEAT joint}``, parents before children.
UNITY_FROM_BEAT: dict[str, str] = {
    "Hips": "Hips", "Spine": "Spine", "Chest": "Spine1", "UpperChest": "Spine3", "Neck": "Neck", "Head": "Head",
    **{f"{side}{unity}": f"{side}{beat}" for side in ("Left", "Right") for unity, beat in _SIDE_BONES},
}  # fmt: skip

#: Centimetres (BEAT) to metres (Unity).
METRES_PER_CM = 0.01
_MIRROR = np.diag([-1.0, 1.0, 1.0])


def to_unity_position(cm: np.ndarray) -> np.ndarray:
    """``(..., 3)`` BEAT positions in cm → Unity positions in metres (X mirrored)."""
    return np.asarray(cm, dtype=np.float64) * (METRES_PER_CM * np.array([-1.0, 1.0, 1.0]))


def to_unity_quaternion(rotmats: np.ndarray) -> np.ndarray:
    """``(..., 3, 3)`` right-handed BEAT rotation matrices → ``(..., 4)`` Unity quaternions
    ``(x, y, z, w)`` of the mirrored rotation ``S R S``."""
    wxyz = matrix_to_quaternion(_MIRROR @ np.asarray(rotmats, dtype=np.float64) @ _MIRROR)
    return np.concatenate([wxyz[..., 1:], wxyz[..., :1]], axis=-1)


@dataclass(frozen=True)
class HumanoidMap:
    """The joint table resolved on one BEAT skeleton.

    Attributes:
        bones: Unity bone names present (all of :data:`UNITY_FROM_BEAT` whose BEAT joint exists).
        joints: ``(B,)`` BEAT joint index of each bone.
        chains: per bone, the BEAT joint indices whose local rotations compose its rotation (top-down).
        offsets: ``(B, 3)`` the bone's rest offset from its Unity parent bone in cm (BEAT axes).
    """

    bones: tuple[str, ...]
    joints: np.ndarray
    chains: tuple[tuple[int, ...], ...]
    offsets: np.ndarray

    @classmethod
    def for_skeleton(cls, skeleton: Skeleton) -> "HumanoidMap":
        index = {name: i for i, name in enumerate(skeleton.names)}
        mapped = {unity: index[beat] for unity, beat in UNITY_FROM_BEAT.items() if beat in index}
        mapped_joints = set(mapped.values())
        bones, joints, chains, offsets = [], [], [], []
        for unity, joint in mapped.items():
            chain, offset, walk = [joint], np.asarray(skeleton.offsets[joint], dtype=np.float64).copy(), joint
            while skeleton.parents[walk] >= 0 and skeleton.parents[walk] not in mapped_joints:
                walk = int(skeleton.parents[walk])
                chain.insert(0, walk)
                offset = offset + skeleton.offsets[walk]  # rest pose: frames are world-aligned
            bones.append(unity)
            joints.append(joint)
            chains.append(tuple(chain))
            offsets.append(offset)
        return cls(tuple(bones), np.array(joints), tuple(chains), np.array(offsets))

    def local_rotations(self, local_rotmats: np.ndarray) -> np.ndarray:
        """``(F, J, 3, 3)`` BEAT local rotations → ``(F, B, 3, 3)`` Unity-bone local rotations (BEAT axes)."""
        out = np.empty(local_rotmats.shape[:1] + (len(self.bones), 3, 3))
        for b, chain in enumerate(self.chains):
            rotation = local_rotmats[:, chain[0]]
            for joint in chain[1:]:
                rotation = rotation @ local_rotmats[:, joint]
            out[:, b] = rotation
        return out


def head_yaw_pitch_roll(global_head: np.ndarray) -> np.ndarray:
    """``(F, 3, 3)`` global rotation of the head joint (BEAT axes, rest = identity) → ``(F, 3)``
    yaw, pitch, roll in radians: ``R = R_Y(yaw) R_X(pitch) R_Z(roll)``. Positive yaw turns the face
    towards the character's left, positive pitch tilts it down, positive roll tilts the top of the
    head towards the character's right."""
    from motiongen.core.rotations import matrix_to_euler

    return np.radians(matrix_to_euler(np.asarray(global_head, dtype=np.float64), "YXZ"))
