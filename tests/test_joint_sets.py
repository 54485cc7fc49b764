"""Joint sets from config and the axis-angle <-> Euler conversion of joint subsets."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from bvh_samples import NAMES, ORDERS, bvh_text, random_rows, write_text
from motiongen.core.errors import ConfigError, InputFileError
from motiongen.formats.bvh import read_bvh
from motiongen.formats.joint_sets import axis_angle_to_euler, motion_to_axis_angle
from motiongen.skeletons import load_joint_set, resolve_joint_names
from motiongen.core.rotations import euler_to_matrix


def test_beat_joint_sets():
    full = load_joint_set("beat75")
    upper = load_joint_set("beat47_upper")
    assert len(full) == 75 and len(set(full)) == 75 and full[0] == "Hips"
    assert len(upper) == 47 and 3 * len(upper) == 141
    assert set(upper) <= set(full)
    assert sorted(upper, key=full.index) == upper  # BVH order
    assert {"Spine", "Neck", "Neck1", "RightHandThumb3", "LeftHandIndex"} <= set(upper)
    assert not {"Hips", "Head", "Spine1", "RightHandMiddle4", "LeftUpLeg"} & set(upper)


def test_beat75_matches_the_real_file(sample_file):
    motion = read_bvh(sample_file("beat/2_scott_0_1_1.bvh"), allow_truncated=True)
    assert motion.skeleton.names == load_joint_set("beat75")
    assert motion_to_axis_angle(motion, load_joint_set("beat47_upper")).shape == (957, 141)


def test_unknown_or_bad_joint_set():
    with pytest.raises(ConfigError, match="joint set 'nope' not found.*beat47_upper, beat75"):
        load_joint_set("nope")
    with pytest.raises(ConfigError, match="joint set 'smplx' not found"):  # SMPL-X subsets are not a BVH set
        load_joint_set("smplx")
    assert resolve_joint_names("beat47_upper") == load_joint_set("beat47_upper")
    assert resolve_joint_names(["Spine", "Neck"]) == ["Spine", "Neck"]
    with pytest.raises(ConfigError, match="data.joints: joint names listed twice: A"):
        resolve_joint_names(["A", "B", "A"])
    with pytest.raises(ConfigError, match="data.joints must be a non-empty list"):
        resolve_joint_names([])


def test_motion_to_axis_angle_matches_scipy(tmp_path):
    motion = read_bvh(write_text(tmp_path, bvh_text(random_rows(6))))
    subset = ["Leg", "Spine", "Hips"]
    axis_angle = motion_to_axis_angle(motion, subset)
    assert axis_angle.shape == (6, 9) and axis_angle.dtype == np.float32
    for k, name in enumerate(subset):
        j = NAMES.index(name)
        expected = Rotation.from_euler(ORDERS[j], motion.euler_deg[:, j], degrees=True).as_rotvec()
        np.testing.assert_allclose(axis_angle[:, 3 * k:3 * k + 3], expected, atol=1e-5)


def test_missing_joints_are_all_named(tmp_path):
    path = write_text(tmp_path, bvh_text(random_rows(2)))
    motion = read_bvh(path)
    with pytest.raises(InputFileError) as caught:
        motion_to_axis_angle(motion, ["Spine", "LeftHand", "Neck1"])
    assert str(caught.value).startswith(f"{path}: ")
    assert "lacks 2 joint(s): LeftHand, Neck1" in str(caught.value)
    with pytest.raises(KeyError, match="LeftHand"):
        axis_angle_to_euler(motion.skeleton, np.zeros((1, 3)), ["LeftHand"], np.zeros((5, 3)))


def test_axis_angle_to_euler_round_trip_and_rest(tmp_path):
    motion = read_bvh(write_text(tmp_path, bvh_text(random_rows(5))))
    skeleton = motion.skeleton
    subset = ["Head", "Leg", "Spine"]
    rest = np.random.default_rng(1).uniform(-30, 30, size=(5, 3))
    rest[3, 2] = 0.0  # Arm has no Y channel
    euler = axis_angle_to_euler(skeleton, motion_to_axis_angle(motion, subset), subset, rest)
    assert euler.shape == (5, 5, 3)
    for name in ("Hips", "Arm"):  # outside the subset: the rest pose in every frame
        np.testing.assert_array_equal(euler[:, NAMES.index(name)], np.broadcast_to(rest[NAMES.index(name)], (5, 3)))
    for name in subset:
        j = NAMES.index(name)
        np.testing.assert_allclose(euler_to_matrix(euler[:, j], ORDERS[j]),
                                   euler_to_matrix(motion.euler_deg[:, j], ORDERS[j]), atol=1e-6)
    with pytest.raises(ValueError, match=r"\(F, 9\)"):
        axis_angle_to_euler(skeleton, np.zeros((5, 6)), subset, rest)
    with pytest.raises(ValueError, match="rest_euler_deg"):
        axis_angle_to_euler(skeleton, np.zeros((5, 9)), subset, rest[:4])
