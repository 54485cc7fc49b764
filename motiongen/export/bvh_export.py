"""Generated joint rotations → a full-hierarchy BVH file (BEAT's 75 joints, Euler orders kept).

The model produces axis-angle rotations for a joint subset (e.g. ``beat47_upper``); every other
joint, and the root's translation, keep the values of a template pose of the training skeleton,
exactly as the training data treated them (the root is not generated, so it stays where the
template has it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motiongen.formats.bvh import BvhMotion, Skeleton
from motiongen.formats.joint_sets import axis_angle_to_euler


@dataclass
class SkeletonTemplate:
    """The hierarchy and rest pose generated motion is written onto.

    Attributes:
        skeleton: the full BVH hierarchy (names, offsets in cm, channels, Euler orders).
        rest_euler_deg: ``(J, 3)`` degrees per joint in its own Euler order, for joints the model
            does not generate.
        rest_root_translation: ``(3,)`` root position in cm.
    """

    skeleton: Skeleton
    rest_euler_deg: np.ndarray
    rest_root_translation: np.ndarray

    def __post_init__(self) -> None:
        self.rest_euler_deg = np.asarray(self.rest_euler_deg, dtype=np.float64)
        self.rest_root_translation = np.asarray(self.rest_root_translation, dtype=np.float64).reshape(3)
        if self.rest_euler_deg.shape != (self.skeleton.num_joints, 3):
            raise ValueError(f"rest_euler_deg must be ({self.skeleton.num_joints}, 3), got {self.rest_euler_deg.shape}")

    @classmethod
    def from_motion(cls, motion: BvhMotion, frame: int = 0) -> "SkeletonTemplate":
        """Use frame ``frame`` of a read BVH as the rest pose."""
        return cls(motion.skeleton, motion.euler_deg[frame], motion.root_translation[frame])


def full_skeleton_euler(template: SkeletonTemplate, joint_names: list[str], axis_angle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Euler angles ``(F, J, 3)`` degrees and root translation ``(F, 3)`` cm for the whole skeleton.

    Args:
        joint_names: the ``K`` generated joints, in the order of ``axis_angle``.
        axis_angle: ``(F, 3K)`` radians, joint-major.
    """
    euler = axis_angle_to_euler(template.skeleton, axis_angle, joint_names, template.rest_euler_deg)
    root = np.repeat(template.rest_root_translation[None], len(euler), axis=0)
    return euler, root
