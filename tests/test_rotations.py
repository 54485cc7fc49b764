"""Rotation conversions: agreement with scipy for every order, round trips, edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from motiongen.core import rotations as rot


@pytest.fixture
def angles():
    rng = np.random.default_rng(7)
    values = rng.uniform(-400.0, 400.0, size=(500, 3))  # includes angles past +-180 and +-360
    values[:9] = [[0, 0, 0], [180, 0, 0], [0, -180, 90], [90, 90, 0], [359.999, 1e-9, -720],
                  [360, -360, 540], [-540, 1080, 719.9999], [1e-12, -1e-12, 3600.5], [-179.99, 180.01, 0]]
    return values


def scipy_quat_wxyz(rotation: Rotation) -> np.ndarray:
    quat = rotation.as_quat()[:, [3, 0, 1, 2]]
    return quat * np.where(quat[:, :1] < 0, -1.0, 1.0)


def same_rotation_quat(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.minimum(np.abs(a - b).max(-1), np.abs(a + b).max(-1)).max())


@pytest.mark.parametrize("order", rot.EULER_ORDERS)
def test_euler_matches_scipy_intrinsic(order, angles):
    reference = Rotation.from_euler(order, angles, degrees=True)
    np.testing.assert_allclose(rot.euler_to_matrix(angles, order), reference.as_matrix(), atol=1e-12)
    assert same_rotation_quat(rot.euler_to_quaternion(angles, order), scipy_quat_wxyz(reference)) < 1e-12
    np.testing.assert_allclose(rot.euler_to_axis_angle(angles, order),
                               Rotation.from_quat(reference.as_quat()).as_rotvec(), atol=1e-9)


@pytest.mark.parametrize("order", rot.EULER_ORDERS)
def test_matrix_to_euler_round_trip(order, angles):
    matrices = rot.euler_to_matrix(angles, order)
    back = rot.matrix_to_euler(matrices, order)
    np.testing.assert_allclose(rot.euler_to_matrix(back, order), matrices, atol=1e-12)
    np.testing.assert_allclose(rot.euler_to_matrix(rot.axis_angle_to_euler(
        rot.euler_to_axis_angle(angles, order), order), order), matrices, atol=1e-12)


def test_bvh_convention_is_intrinsic_in_listed_order():
    """Channels 'Zrotation Xrotation Yrotation' mean R = Rz @ Rx @ Ry."""
    def elementary(axis, degrees):
        return Rotation.from_euler(axis.lower(), degrees, degrees=True).as_matrix()

    expected = elementary("Z", 30.0) @ elementary("X", -50.0) @ elementary("Y", 70.0)
    np.testing.assert_allclose(rot.euler_to_matrix([30.0, -50.0, 70.0], "ZXY"), expected, atol=1e-14)
    np.testing.assert_allclose(rot.euler_to_matrix([90.0, 0.0, 0.0], "XYZ"),
                               [[1, 0, 0], [0, 0, -1], [0, 1, 0]], atol=1e-15)


def test_axis_angle_matrix_quaternion_agree_with_scipy():
    rng = np.random.default_rng(3)
    reference = Rotation.random(400, random_state=4)
    rotvec = reference.as_rotvec()
    rotvec[:3] = [[0, 0, 0], [1e-10, 0, 0], [np.pi, 0, 0]]
    reference = Rotation.from_rotvec(rotvec)
    matrices = reference.as_matrix()
    np.testing.assert_allclose(rot.axis_angle_to_matrix(rotvec), matrices, atol=1e-12)
    quat = rot.matrix_to_quaternion(matrices)
    assert np.all(quat[:, 0] >= 0)
    assert same_rotation_quat(quat, scipy_quat_wxyz(reference)) < 1e-12
    np.testing.assert_allclose(rot.quaternion_to_matrix(quat), matrices, atol=1e-12)
    back = rot.matrix_to_axis_angle(matrices)
    np.testing.assert_allclose(rot.axis_angle_to_matrix(back), matrices, atol=1e-12)
    assert np.all(np.linalg.norm(back, axis=-1) <= np.pi + 1e-12)
    np.testing.assert_allclose(back[3:], rotvec[3:], atol=1e-9)  # scipy's angles are < pi too
    np.testing.assert_allclose(back[1], [1e-10, 0, 0], rtol=1e-6)  # tiny angles stay exact
    # Non-unit quaternions are normalised.
    scale = rng.uniform(0.5, 3.0, size=(len(quat), 1))
    np.testing.assert_allclose(rot.quaternion_to_matrix(quat * scale), matrices, atol=1e-12)
    np.testing.assert_allclose(rot.axis_angle_to_quaternion(rot.quaternion_to_axis_angle(quat)), quat,
                               atol=1e-12)


def test_half_turns_convert_stably():
    for axis in np.eye(3):
        matrix = rot.axis_angle_to_matrix(np.pi * axis)
        back = rot.matrix_to_axis_angle(matrix)
        np.testing.assert_allclose(rot.axis_angle_to_matrix(back), matrix, atol=1e-12)
        assert np.linalg.norm(back) == pytest.approx(np.pi)


def test_six_d_round_trip_and_gram_schmidt():
    matrices = Rotation.random(50, random_state=1).as_matrix()
    sixd = rot.matrix_to_6d(matrices)
    assert sixd.shape == (50, 6)
    np.testing.assert_allclose(sixd[:, :3], matrices[:, :, 0])
    np.testing.assert_allclose(sixd[:, 3:], matrices[:, :, 1])
    np.testing.assert_allclose(rot.sixd_to_matrix(sixd), matrices, atol=1e-12)
    noisy = rot.sixd_to_matrix(sixd * 2.5 + np.random.default_rng(0).normal(0, 0.01, sixd.shape))
    np.testing.assert_allclose(noisy @ np.swapaxes(noisy, -1, -2), np.broadcast_to(np.eye(3), noisy.shape),
                               atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(noisy), 1.0)


def test_leading_shapes_and_dtypes_are_kept():
    angles = np.random.default_rng(0).uniform(-90, 90, size=(2, 4, 5, 3))
    assert rot.euler_to_matrix(angles, "YXZ").shape == (2, 4, 5, 3, 3)
    assert rot.euler_to_quaternion(angles, "YXZ").shape == (2, 4, 5, 4)
    assert rot.matrix_to_axis_angle(rot.euler_to_matrix(angles, "YXZ")).shape == (2, 4, 5, 3)
    assert rot.euler_to_matrix(angles[0, 0, 0], "XYZ").shape == (3, 3)
    single = angles.astype(np.float32)
    assert rot.euler_to_matrix(single, "XYZ").dtype == np.float32
    assert rot.euler_to_axis_angle(single, "XYZ").dtype == np.float32
    np.testing.assert_allclose(rot.euler_to_matrix(single, "XYZ"), rot.euler_to_matrix(angles, "XYZ"),
                               atol=1e-5)
    assert rot.euler_to_matrix([[0, 0, 0]], "XYZ").dtype == np.float64  # ints become float64


def test_bad_orders_and_shapes_are_rejected():
    with pytest.raises(ValueError, match="unknown Euler order"):
        rot.euler_to_matrix([0, 0, 0], "XXY")
    with pytest.raises(ValueError, match="unknown Euler order"):
        rot.euler_to_matrix([0, 0, 0], "ABC")
    assert rot.check_order("zxy") == "ZXY"
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        rot.euler_to_matrix([0, 0], "XYZ")
    with pytest.raises(ValueError, match=r"\(\.\.\., 3, 3\)"):
        rot.matrix_to_quaternion(np.eye(4))
    with pytest.raises(ValueError, match=r"\(\.\.\., 6\)"):
        rot.sixd_to_matrix(np.zeros(5))


def test_mixed_joint_orders():
    rng = np.random.default_rng(5)
    angles = rng.uniform(-180, 180, size=(6, 4, 3))
    orders = ["ZXY", "XYZ", "ZXY", "ZYZ"]
    quat = rot.joints_euler_to_quaternion(angles, orders)
    for joint, order in enumerate(orders):
        np.testing.assert_allclose(quat[:, joint], rot.euler_to_quaternion(angles[:, joint], order), atol=1e-14)
    back = rot.joints_quaternion_to_euler(quat, orders)
    np.testing.assert_allclose(rot.joints_euler_to_quaternion(back, orders), quat, atol=1e-12)
    with pytest.raises(ValueError, match="shape"):
        rot.joints_euler_to_quaternion(angles, orders[:3])


def test_slerp():
    start = rot.euler_to_quaternion([0.0, 0.0, 0.0], "XYZ")
    end = rot.euler_to_quaternion([0.0, 0.0, 120.0], "XYZ")
    weights = np.array([0.0, 0.25, 0.5, 1.0])
    blended = rot.quaternion_slerp(start, end, weights)
    np.testing.assert_allclose(rot.quaternion_to_euler(blended, "XYZ")[:, 2], [0, 30, 60, 120], atol=1e-10)
    # Shortest arc: 170 -> -170 degrees passes through 180, not 0; -q is the same rotation.
    a = rot.euler_to_quaternion([0.0, 0.0, 170.0], "XYZ")
    b = -rot.euler_to_quaternion([0.0, 0.0, -170.0], "XYZ")
    middle = rot.quaternion_slerp(a, b, 0.5)
    assert abs(abs(rot.quaternion_to_euler(middle, "XYZ")[2]) - 180.0) < 1e-9
    # Identical inputs stay put (the near-parallel branch).
    np.testing.assert_allclose(rot.quaternion_slerp(end, end, 0.3), end, atol=1e-15)
