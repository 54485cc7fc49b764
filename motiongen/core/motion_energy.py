"""Motion energy: how fast each joint rotates (deg/s), and how abruptly that changes (deg/s²).

The angular velocity of joint ``j`` between frames ``t`` and ``t + 1`` is the relative rotation
``q_t^-1 q_(t+1)`` as an axis-angle vector times the frame rate; its norm, the angular speed, is
the geodesic distance on SO(3) per second (independent of the rotation representation and of
Euler-angle wrap-around). Averaged over frames the speed tells a nearly frozen figure (a few
deg/s) from a gesturing one (tens of deg/s on the arms). The angular acceleration — the change of
that velocity vector per second — tells smooth gestures from frame-to-frame jitter, which also
raises the speed: speed alone can be gamed by noise.
"""

from __future__ import annotations

import numpy as np

from motiongen.core.rotations import axis_angle_to_quaternion, quaternion_to_axis_angle


def _relative_rotations(axis_angle: np.ndarray) -> np.ndarray:
    """``(F - 1, J, 3)`` axis-angle (radians) of ``q_t^-1 q_(t+1)`` for ``(F, J, 3)`` rotations."""
    q = axis_angle_to_quaternion(axis_angle)
    w0, v0 = q[:-1, ..., :1], q[:-1, ..., 1:]
    w1, v1 = q[1:, ..., :1], q[1:, ..., 1:]
    # conjugate(q0) * q1 (Hamilton product)
    w = w0 * w1 + np.sum(v0 * v1, axis=-1, keepdims=True)
    v = w0 * v1 - w1 * v0 - np.cross(v0, v1)
    return quaternion_to_axis_angle(np.concatenate([w, v], axis=-1))


def _check(axis_angle: np.ndarray, fps: float) -> np.ndarray:
    axis_angle = np.asarray(axis_angle, dtype=np.float64)
    if axis_angle.ndim != 3 or axis_angle.shape[-1] != 3:
        raise ValueError(f"axis_angle must be (frames, joints, 3), got {axis_angle.shape}")
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    return axis_angle


def joint_angular_speed(axis_angle: np.ndarray, fps: float) -> np.ndarray:
    """Per-frame angular speed of every joint.

    Args:
        axis_angle: ``(F, J, 3)`` local joint rotations, axis-angle radians, at ``fps``.
        fps: frames per second (> 0).

    Returns:
        ``(F - 1, J)`` degrees per second; row ``t`` is between frames ``t`` and ``t + 1``.
    """
    axis_angle = _check(axis_angle, fps)
    if len(axis_angle) < 2:
        return np.zeros((0, axis_angle.shape[1]))
    return np.degrees(np.linalg.norm(_relative_rotations(axis_angle), axis=-1)) * fps


def joint_angular_acceleration(axis_angle: np.ndarray, fps: float) -> np.ndarray:
    """Per-frame angular acceleration magnitude of every joint.

    Args:
        axis_angle: ``(F, J, 3)`` local joint rotations, axis-angle radians, at ``fps``.

    Returns:
        ``(F - 2, J)`` degrees per second squared: the norm of the change between consecutive
        angular velocity vectors (each in the joint's frame at its earlier frame) times ``fps²``.
    """
    axis_angle = _check(axis_angle, fps)
    if len(axis_angle) < 3:
        return np.zeros((0, axis_angle.shape[1]))
    velocity = _relative_rotations(axis_angle)
    return np.degrees(np.linalg.norm(np.diff(velocity, axis=0), axis=-1)) * fps * fps


def mean_joint_speed(takes: list[np.ndarray], fps: float) -> np.ndarray:
    """``(J,)`` mean angular speed (deg/s) of each joint over all frame pairs of ``takes``, each a
    ``(F_i, J, 3)`` axis-angle array (speeds are never computed across two takes)."""
    speeds = [joint_angular_speed(take, fps) for take in takes]
    return np.concatenate(speeds).mean(axis=0)


def mean_joint_acceleration(takes: list[np.ndarray], fps: float) -> np.ndarray:
    """``(J,)`` mean angular acceleration (deg/s²) of each joint over all frame triples of ``takes``."""
    return np.concatenate([joint_angular_acceleration(take, fps) for take in takes]).mean(axis=0)
