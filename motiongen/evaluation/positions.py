"""Joint positions of generated/ground-truth rotations, for the beat metrics."""

from __future__ import annotations

import numpy as np


def joint_positions(template, joint_names, axis_angle: np.ndarray) -> np.ndarray:
    """World positions ``(F, J, 3)`` in cm of the ``J`` generated joints.

    Args:
        template: the skeleton template (hierarchy, offsets, rest pose of the other joints).
        joint_names: the J joints, in the order of ``axis_angle``.
        axis_angle: ``(F, 3J)`` local rotations in radians, joint-major.
    """
    from motiongen.core.kinematics import forward_kinematics, local_rotation_matrices
    from motiongen.formats.joint_sets import full_skeleton_euler

    skeleton = template.skeleton
    euler, root = full_skeleton_euler(template, list(joint_names), np.asarray(axis_angle, dtype=np.float64))
    positions = forward_kinematics(skeleton, local_rotation_matrices(skeleton, euler), root)
    return positions[:, [skeleton.names.index(name) for name in joint_names]]


def mean_joint_speed(template, joint_names, sequences, fps: float) -> np.ndarray:
    """Mean speed ``(J,)`` in cm/s of each joint over the frames of ``sequences [(T_i, 3J)]``
    (EMAGE's ``avg_vel``: central differences, one-sided at the ends)."""
    from motiongen.evaluation.metrics.beat_align import normalised_speed

    total, count = 0.0, 0
    for sequence in sequences:
        if len(sequence) < 3:
            continue
        speed = normalised_speed(joint_positions(template, joint_names, sequence), fps)
        total = total + speed.sum(axis=0)
        count += len(speed)
    if count == 0:
        raise ValueError("no sequence of at least 3 frames to measure joint speeds on")
    return np.maximum(total / count, 1e-6)
