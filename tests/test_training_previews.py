"""Training preview figure: the wrist panel is a forward-kinematics trajectory on the skeleton template."""

import numpy as np
import pytest
import torch

from motiongen.export.bvh_export import SkeletonTemplate, full_skeleton_euler
from motiongen.export.preview import local_rotation_matrices
from motiongen.formats.joint_sets import load_joint_set
from motiongen.geometry.kinematics import forward_kinematics
from motiongen.skeletons import load_beat75_template
from motiongen.training.previews import MotionPreview


@pytest.fixture(scope="module")
def template() -> SkeletonTemplate:
    return SkeletonTemplate.from_motion(load_beat75_template(), frame=0)


def _preview(template, joint_names):
    clip = {"gesture": torch.zeros(4, 3 * len(joint_names))}
    return MotionPreview(clip, 10, 2, [], joint_names, template=template)


def test_wrist_moves_rigidly_with_the_shoulder_and_matches_forward_kinematics(template):
    joints = load_joint_set("beat47_upper")
    preview = _preview(template, joints)
    frames = 12
    axis_angle = np.zeros((frames, 3 * len(joints)))
    shoulder = joints.index("RightArm")
    axis_angle[:, 3 * shoulder + 2] = np.linspace(0.0, 1.2, frames)  # swing the upper arm about z
    wrist = preview.wrist_position(axis_angle)
    assert wrist.shape == (frames, 3)

    skeleton = template.skeleton
    euler, root = full_skeleton_euler(template, joints, axis_angle)
    positions = forward_kinematics(skeleton, local_rotation_matrices(skeleton, euler), root)
    shoulder_position = positions[:, skeleton.names.index("RightArm")] - root
    reach = np.linalg.norm(wrist - shoulder_position, axis=1)
    assert np.allclose(reach, reach[0], atol=1e-6)  # the arm below the shoulder is rigid here
    assert np.linalg.norm(wrist[-1] - wrist[0]) > 10.0  # and the wrist really travels (cm)
    assert np.allclose(shoulder_position, shoulder_position[0], atol=1e-6)


def test_without_a_matching_template_the_panel_falls_back_to_rotation(template):
    assert _preview(None, ["RightHand"]).template is None
    assert _preview(template, ["NotAJoint", "RightHand"]).template is None
    assert _preview(template, ["RightHand"]).template is template
