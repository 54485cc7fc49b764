"""Joint angular speed and acceleration, checked against scipy's rotation algebra."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from motiongen.core.motion_energy import (
    joint_angular_acceleration,
    joint_angular_speed,
    mean_joint_acceleration,
    mean_joint_speed,
)


def relative_rotvecs(axis_angle: np.ndarray) -> np.ndarray:
    frames, joints, _ = axis_angle.shape
    before = Rotation.from_rotvec(axis_angle[:-1].reshape(-1, 3))
    after = Rotation.from_rotvec(axis_angle[1:].reshape(-1, 3))
    return (before.inv() * after).as_rotvec().reshape(frames - 1, joints, 3)


def test_speed_and_acceleration_match_scipy():
    rotations = np.random.default_rng(0).normal(scale=0.8, size=(12, 5, 3))
    relative = relative_rotvecs(rotations)
    np.testing.assert_allclose(joint_angular_speed(rotations, 30.0), np.degrees(np.linalg.norm(relative, axis=-1)) * 30, atol=1e-8)
    expected = np.degrees(np.linalg.norm(np.diff(relative, axis=0), axis=-1)) * 900
    np.testing.assert_allclose(joint_angular_acceleration(rotations, 30.0), expected, atol=1e-6)


def test_constant_turn_has_speed_and_no_acceleration():
    frames = np.arange(31)
    rotations = np.zeros((31, 2, 3))
    rotations[:, 0, 2] = np.radians(3.0) * frames  # 3 deg per frame about z = 90 deg/s at 30 fps
    np.testing.assert_allclose(mean_joint_speed([rotations, rotations[:10]], 30.0), [90.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(mean_joint_acceleration([rotations], 30.0), [0.0, 0.0], atol=1e-6)
    jitter = rotations.copy()
    jitter[1::2, 0, 2] += np.radians(1.0)
    assert mean_joint_acceleration([jitter], 30.0)[0] > 1000


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="frames, joints, 3"):
        joint_angular_speed(np.zeros((5, 3)), 30.0)
    with pytest.raises(ValueError, match="fps"):
        joint_angular_speed(np.zeros((5, 1, 3)), 0.0)
