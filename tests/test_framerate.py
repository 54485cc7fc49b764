"""Frame-rate conversion: BEAT-style decimation and slerp/linear resampling."""

from __future__ import annotations

import numpy as np
import pytest

from motiongen.core.skeleton import Skeleton
from motiongen.formats.bvh import read_bvh
from motiongen.core.framerate import (
    integer_ratio,
    output_frame_count,
    resample_curves,
    resample_motion,
)
from motiongen.core.rotations import euler_to_matrix, joints_euler_to_quaternion


def two_joint_skeleton() -> Skeleton:
    return Skeleton(names=["Root", "Arm"], parents=[-1, 0], offsets=[[0, 0, 0], [0, 10, 0]],
                    channels=[("Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation"),
                              ("Xrotation", "Yrotation", "Zrotation")],
                    rotation_orders=["ZXY", "XYZ"])


def test_integer_ratio_and_frame_counts():
    assert integer_ratio(120, 30) == 4
    assert integer_ratio(1 / 0.008333, 30) == 4  # BEAT's printed Frame Time
    assert integer_ratio(30, 120) is None
    assert integer_ratio(120, 50) is None
    assert output_frame_count(957, 120, 30) == 240  # frames[::4]
    assert output_frame_count(240, 30, 120) == 960
    assert output_frame_count(0, 30, 120) == 0
    with pytest.raises(ValueError, match="positive"):
        integer_ratio(0, 30)


def test_decimation_keeps_every_fourth_frame_exactly():
    skeleton = two_joint_skeleton()
    rng = np.random.default_rng(0)
    euler = rng.uniform(-180, 180, size=(957, 2, 3))
    root = rng.normal(size=(957, 3))
    out_euler, out_root = resample_motion(skeleton, euler, root, 120, 30)
    np.testing.assert_array_equal(out_euler, euler[::4])
    np.testing.assert_array_equal(out_root, root[::4])
    np.testing.assert_array_equal(resample_curves(root, 120, 30), root[::4])


def test_upsampling_slerps_rotations_and_lerps_translation():
    skeleton = two_joint_skeleton()
    euler = np.zeros((3, 2, 3))
    euler[:, 1, 2] = [0.0, 40.0, 80.0]  # Arm turns about Z
    euler[:, 0, 0] = [170.0, -170.0, -170.0]  # Root's Z angle wraps through 180
    root = np.array([[0.0, 0.0, 0.0], [4.0, 8.0, 0.0], [4.0, 8.0, 0.0]])
    out_euler, out_root = resample_motion(skeleton, euler, root, 30, 120)
    assert out_euler.shape == (12, 2, 3)
    np.testing.assert_allclose(out_euler[:9, 1, 2], np.arange(9) * 10.0, atol=1e-9)
    np.testing.assert_allclose(out_euler[9:], np.repeat(euler[2:], 3, axis=0), atol=1e-9)  # held
    np.testing.assert_array_equal(out_euler[::4], euler)  # source frames verbatim
    np.testing.assert_allclose(out_root[:5, 0], [0, 1, 2, 3, 4])
    # The root goes 170 -> 175 -> 180 -> -175 -> -170 (short way), never through 0.
    root_rot = euler_to_matrix(out_euler[:5, 0], "ZXY")
    expected = euler_to_matrix(np.stack([[a, 0, 0] for a in (170, 175, 180, 185, 190)]), "ZXY")
    np.testing.assert_allclose(root_rot, expected, atol=1e-9)


def test_non_integer_ratio_samples_by_time():
    skeleton = two_joint_skeleton()
    frames = 121
    euler = np.zeros((frames, 2, 3))
    euler[:, 1, 0] = np.linspace(0.0, 60.0, frames)  # 0.5 deg per 120 fps frame
    root = np.stack([np.linspace(0, 120, frames)] * 3, axis=1)
    out_euler, out_root = resample_motion(skeleton, euler, root, 120, 50)
    assert out_euler.shape[0] == output_frame_count(frames, 120, 50) == 51
    times = np.arange(51) / 50
    np.testing.assert_allclose(out_euler[:, 1, 0], np.minimum(times * 60.0, 60.0), atol=1e-9)
    np.testing.assert_allclose(out_root[:, 0], np.minimum(times * 120.0, 120.0), atol=1e-9)


def test_joint_translations_are_resampled_too():
    skeleton = two_joint_skeleton()
    extra = {1: np.arange(12.0).reshape(4, 3)}
    euler, root, others = resample_motion(skeleton, np.zeros((4, 2, 3)), np.zeros((4, 3)), 30, 60,
                                          joint_translations=extra)
    assert euler.shape == (8, 2, 3) and root.shape == (8, 3)
    np.testing.assert_allclose(others[1][:3, 0], [0.0, 1.5, 3.0])


def test_curves_linear_interpolation_keeps_dtype():
    curves = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    out = resample_curves(curves, 30, 60)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0, 1], [0.5, 0.5], [1, 0], [1, 0]])


def test_real_sample_round_trip_120_30_120(sample_file):
    """120 -> 30 -> 120 fps brings every kept frame back exactly and stays close in between."""
    motion = read_bvh(sample_file("beat/2_scott_0_1_1.bvh"), allow_truncated=True)
    skeleton = motion.skeleton
    low_euler, low_root = resample_motion(skeleton, motion.euler_deg, motion.root_translation, motion.fps, 30)
    assert low_euler.shape == (240, 75, 3)
    high_euler, high_root = resample_motion(skeleton, low_euler, low_root, 30, 120)
    assert high_euler.shape == (960, 75, 3)
    np.testing.assert_array_equal(high_euler[:957:4], motion.euler_deg[::4])
    original = joints_euler_to_quaternion(motion.euler_deg, skeleton.rotation_orders)
    rebuilt = joints_euler_to_quaternion(high_euler[:957], skeleton.rotation_orders)
    angle = 2 * np.arccos(np.clip(np.abs(np.sum(original * rebuilt, axis=-1)), 0, 1))
    assert np.degrees(np.median(angle)) < 0.5  # 30 fps captures this gesture motion closely
