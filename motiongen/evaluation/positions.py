"""Joint positions and local Euler angles of generated/ground-truth rotations, for the beat metrics."""

from __future__ import annotations

import numpy as np


def joint_positions(template, joint_names, axis_angle: np.ndarray, output_names=None) -> np.ndarray:
    """World positions ``(F, K, 3)`` in cm of the joints ``output_names`` (default: the J generated
    joints; any joint of the template's skeleton can be named).

    Args:
        template: the skeleton template (hierarchy, offsets, rest pose of the other joints).
        joint_names: the J generated joints, in the order of ``axis_angle``.
        axis_angle: ``(F, 3J)`` local rotations in radians, joint-major.
        output_names: the K joints returned, by name.
    """
    from motiongen.core.kinematics import forward_kinematics, local_rotation_matrices
    from motiongen.formats.joint_sets import full_skeleton_euler

    skeleton = template.skeleton
    euler, root = full_skeleton_euler(template, list(joint_names), np.asarray(axis_angle, dtype=np.float64))
    positions = forward_kinematics(skeleton, local_rotation_matrices(skeleton, euler), root)
    wanted = list(joint_names) if output_names is None else list(output_names)
    return positions[:, [skeleton.names.index(name) for name in wanted]]


def joint_euler(template, joint_names, axis_angle: np.ndarray, name: str) -> np.ndarray:
    """Local Euler angles ``(F, 3)`` in degrees of the generated joint ``name``, in its BVH channel
    order (the values a BEAT ``.bvh`` line holds for it), from ``axis_angle (F, 3J)`` radians."""
    from motiongen.core.rotations import axis_angle_to_quaternion, joints_quaternion_to_euler

    index = list(joint_names).index(name)
    order = template.skeleton.rotation_orders[template.skeleton.names.index(name)]
    rotations = np.asarray(axis_angle, dtype=np.float64)[:, 3 * index: 3 * index + 3]
    return joints_quaternion_to_euler(axis_angle_to_quaternion(rotations[:, None]), [order])[:, 0]


def mean_joint_speed(template, joint_names, sequences, fps: float, output_names=None) -> np.ndarray:
    """Mean speed ``(K,)`` in cm/s of each joint of ``output_names`` (default: the generated joints)
    over the frames of ``sequences [(T_i, 3J)]`` (EMAGE's ``avg_vel``: central differences,
    one-sided at the ends)."""
    from motiongen.evaluation.metrics.beat_align import normalised_speed

    total, count = 0.0, 0
    for sequence in sequences:
        if len(sequence) < 3:
            continue
        speed = normalised_speed(joint_positions(template, joint_names, sequence, output_names), fps)
        total = total + speed.sum(axis=0)
        count += len(speed)
    if count == 0:
        raise ValueError("no sequence of at least 3 frames to measure joint speeds on")
    return np.maximum(total / count, 1e-6)


def upper_body_mean_speed(template, joint_names, sequences, fps: float) -> dict[str, float]:
    """``{joint: mean speed in cm/s}`` of EMAGE's 13 upper-body joints of the template's skeleton
    (the normalisers of BC), measured on ``sequences [(T_i, 3J)]``.

    Raises:
        ValueError: the skeleton lacks one of those joints.
    """
    from motiongen.evaluation.metrics.beat_align import upper_body_joints

    names = upper_body_joints(template.skeleton.names)
    return dict(zip(names, mean_joint_speed(template, joint_names, sequences, fps, names).tolist()))
