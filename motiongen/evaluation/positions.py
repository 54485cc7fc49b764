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


def joints_euler(template, joint_names, axis_angle: np.ndarray, names=None) -> np.ndarray:
    """Local Euler angles ``(F, K, 3)`` in degrees of the generated joints ``names`` (default: all J),
    each in its BVH channel order (the values a BEAT ``.bvh`` line holds), from ``axis_angle (F, 3J)``
    radians (principal range: a BVH file may hold the same rotation unwrapped)."""
    from motiongen.core.rotations import axis_angle_to_quaternion, joints_quaternion_to_euler

    skeleton = template.skeleton
    names = list(joint_names) if names is None else list(names)
    columns = list(joint_names)
    rotations = np.asarray(axis_angle, dtype=np.float64).reshape(len(axis_angle), len(columns), 3)
    chosen = rotations[:, [columns.index(name) for name in names]]
    orders = [skeleton.rotation_orders[skeleton.names.index(name)] for name in names]
    return joints_quaternion_to_euler(axis_angle_to_quaternion(chosen), orders)


def joint_euler(template, joint_names, axis_angle: np.ndarray, name: str) -> np.ndarray:
    """Local Euler angles ``(F, 3)`` in degrees of the generated joint ``name`` (see :func:`joints_euler`)."""
    return joints_euler(template, joint_names, axis_angle, [name])[:, 0]


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
