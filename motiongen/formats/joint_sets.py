"""Conversion of BVH motion to/from a joint subset (the named subsets are package data:
:func:`motiongen.skeletons.load_joint_set`).

A joint set is a ``names:`` list of BVH joint names. The model sees the selected joints as
axis-angle vectors, ``(F, 3 * K)`` radians, joint-major (``[j0x, j0y, j0z, j1x, ...]``); export
turns them back into per-joint Euler angles in each joint's own BVH order.
"""

from __future__ import annotations

import numpy as np

from motiongen.core.errors import InputFileError
from motiongen.core.skeleton import Skeleton, SkeletonTemplate
from motiongen.formats.bvh import BvhMotion
from motiongen.core.rotations import (
    axis_angle_to_quaternion,
    joints_euler_to_quaternion,
    joints_quaternion_to_euler,
    quaternion_to_axis_angle,
)


def _indices(skeleton: Skeleton, joint_names, path) -> np.ndarray:
    try:
        return skeleton.index_of(joint_names)
    except KeyError as err:
        reason = err.args[0] + " required by the joint set"
        if path is not None:
            raise InputFileError(path, reason) from None
        raise KeyError(reason) from None


def motion_to_axis_angle(motion: BvhMotion, joint_names) -> np.ndarray:
    """Local rotations of the named joints as axis-angle, ``(F, 3 * K)`` float32 radians.

    Raises:
        InputFileError (or KeyError for motion not read from a file): naming every joint of
            ``joint_names`` that the motion's skeleton lacks.
    """
    skeleton = motion.skeleton
    indices = _indices(skeleton, joint_names, motion.path)
    orders = [skeleton.rotation_orders[i] for i in indices]
    quat = joints_euler_to_quaternion(motion.euler_deg[:, indices], orders)
    return quaternion_to_axis_angle(quat).reshape(motion.num_frames, -1).astype(np.float32)


def axis_angle_to_euler(skeleton: Skeleton, axis_angle, joint_names, rest_euler_deg) -> np.ndarray:
    """Rebuild full-skeleton Euler angles from axis-angle of a joint subset (for BVH export).

    Args:
        skeleton: the template hierarchy (its ``rotation_orders`` are used).
        axis_angle: ``(F, 3 * K)`` radians for the ``K`` joints in ``joint_names``.
        joint_names: the subset's joint names, in the order of ``axis_angle``.
        rest_euler_deg: ``(J, 3)`` degrees for every joint of ``skeleton``; joints outside the
            subset keep these values in every frame (e.g. a template frame of the speaker).

    Returns:
        ``(F, J, 3)`` float64 degrees, each joint in its own ``skeleton.rotation_orders[j]``.
    """
    indices = _indices(skeleton, joint_names, None)
    axis_angle = np.asarray(axis_angle, dtype=np.float64)
    if axis_angle.ndim != 2 or axis_angle.shape[1] != 3 * len(indices):
        raise ValueError(f"axis_angle must have shape (F, {3 * len(indices)}) for "
                         f"{len(indices)} joints, got {axis_angle.shape}")
    rest = np.asarray(rest_euler_deg, dtype=np.float64)
    if rest.shape != (skeleton.num_joints, 3):
        raise ValueError(f"rest_euler_deg must have shape ({skeleton.num_joints}, 3), got {rest.shape}")
    frames = axis_angle.shape[0]
    euler = np.repeat(rest[None], frames, axis=0)
    quat = axis_angle_to_quaternion(axis_angle.reshape(frames, len(indices), 3))
    orders = [skeleton.rotation_orders[i] for i in indices]
    euler[:, indices] = joints_quaternion_to_euler(quat, orders)
    return euler


def full_skeleton_euler(template: SkeletonTemplate, joint_names, axis_angle) -> tuple[np.ndarray, np.ndarray]:
    """Euler angles ``(F, J, 3)`` degrees and root translation ``(F, 3)`` cm for the whole skeleton of
    ``template`` from axis-angle rotations ``(F, 3K)`` radians of the ``K`` joints ``joint_names``;
    the other joints and the root translation keep the template's rest values."""
    euler = axis_angle_to_euler(template.skeleton, axis_angle, joint_names, template.rest_euler_deg)
    root = np.repeat(template.rest_root_translation[None], len(euler), axis=0)
    return euler, root
