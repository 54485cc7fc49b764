"""Forward kinematics against hand-computed chains and against bvhio on the real sample."""

from __future__ import annotations

import numpy as np
import pytest

from bvh_samples import bvh_text, header_fixed_copy, random_rows, write_text
from motiongen.core.skeleton import Skeleton
from motiongen.formats.bvh import read_bvh
from motiongen.core.kinematics import forward_kinematics
from motiongen.core.rotations import euler_to_matrix


def chain_skeleton() -> Skeleton:
    """Root -> A (offset +10 y) -> B (offset +5 y), plus C branching off the root (offset +3 x)."""
    return Skeleton(
        names=["Root", "A", "B", "C"], parents=[-1, 0, 1, 0],
        offsets=[[0.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 5.0, 0.0], [3.0, 0.0, 0.0]],
        channels=[("Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation")]
        + [("Zrotation", "Xrotation", "Yrotation")] * 3,
        rotation_orders=["ZXY"] * 4,
    )


def test_hand_computed_chain():
    skeleton = chain_skeleton()
    # Frame 0: rest pose. Frame 1: root turned 90 deg about Z, A bent 90 deg about X.
    euler = np.zeros((2, 4, 3))
    euler[1, 0] = [90.0, 0.0, 0.0]  # Z X Y order
    euler[1, 1] = [0.0, 90.0, 0.0]
    root = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    positions = forward_kinematics(skeleton, euler_to_matrix(euler, "ZXY"), root)
    np.testing.assert_allclose(positions[0], [[1, 2, 3], [1, 12, 3], [1, 17, 3], [4, 2, 3]], atol=1e-12)
    # Rz(90) maps +y to -x and +x to +y; A's X bend maps its child's +y to +z (then Rz keeps z).
    np.testing.assert_allclose(positions[1], [[1, 2, 3], [-9, 2, 3], [-9, 2, 8], [1, 5, 3]], atol=1e-12)


def test_global_rotations_and_dtype():
    skeleton = chain_skeleton()
    rng = np.random.default_rng(0)
    local = euler_to_matrix(rng.uniform(-180, 180, size=(5, 4, 3)), "ZXY")
    root = rng.normal(size=(5, 3))
    positions, rotations = forward_kinematics(skeleton, local, root, return_rotations=True)
    np.testing.assert_allclose(rotations[:, 2], local[:, 0] @ local[:, 1] @ local[:, 2], atol=1e-12)
    np.testing.assert_allclose(positions[:, 2] - positions[:, 1], (local[:, 0] @ local[:, 1] @ [0, 5.0, 0]),
                               atol=1e-12)
    single = forward_kinematics(skeleton, local.astype(np.float32), root.astype(np.float32))
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, positions, atol=1e-4)
    contiguous = forward_kinematics(skeleton, np.ascontiguousarray(local), root)
    np.testing.assert_array_equal(contiguous, positions)


def test_joint_translations_replace_offsets(tmp_path):
    motion = read_bvh(write_text(tmp_path, bvh_text(random_rows(4))))
    local = motion.local_rotations()
    positions = forward_kinematics(motion.skeleton, local, motion.root_translation, motion.joint_translations)
    spine_rot = local[:, 0] @ local[:, 1]
    expected_head = positions[:, 1] + (spine_rot @ motion.joint_translations[2][..., None])[..., 0]
    np.testing.assert_allclose(positions[:, 2], expected_head, atol=1e-10)
    offsets_only = forward_kinematics(motion.skeleton, local, motion.root_translation)
    expected_offset_head = positions[:, 1] + (spine_rot @ motion.skeleton.offsets[2])
    np.testing.assert_allclose(offsets_only[:, 2], expected_offset_head, atol=1e-10)


def test_shape_errors():
    skeleton = chain_skeleton()
    with pytest.raises(ValueError, match="local_rotmats"):
        forward_kinematics(skeleton, np.zeros((2, 3, 3, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="root_translation"):
        forward_kinematics(skeleton, np.zeros((2, 4, 3, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="non-root"):
        forward_kinematics(skeleton, np.zeros((2, 4, 3, 3)), np.zeros((2, 3)), {0: np.zeros((2, 3))})
    assert forward_kinematics(skeleton, np.zeros((0, 4, 3, 3)), np.zeros((0, 3))).shape == (0, 4, 3)


def test_matches_bvhio_on_the_real_sample(sample_file, tmp_path, cross_check_module):
    bvhio = cross_check_module("bvhio")
    path = header_fixed_copy(sample_file("beat/2_scott_0_1_1.bvh"), tmp_path, 30)
    motion = read_bvh(path)
    ours = forward_kinematics(motion.skeleton, motion.local_rotations(), motion.root_translation)
    root = bvhio.readAsHierarchy(str(path))
    joints = [joint for joint, _, _ in root.layout()]
    for frame in (0, 13, 29):
        root.loadPose(frame, recursive=True)
        theirs = np.array([tuple(joint.PositionWorld) for joint in joints])
        np.testing.assert_allclose(ours[frame], theirs, atol=1e-3)  # bvhio computes in float32
