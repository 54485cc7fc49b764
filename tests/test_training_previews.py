"""Training preview figure: the wrist panel is a forward-kinematics trajectory on the skeleton template."""

import numpy as np
import pytest

from motiongen.core.skeleton import SkeletonTemplate
from motiongen.formats.joint_sets import full_skeleton_euler
from motiongen.core.kinematics import local_rotation_matrices
from motiongen.skeletons import load_joint_set
from motiongen.core.kinematics import forward_kinematics
from motiongen.skeletons import load_beat75_template
from motiongen.core.motion_format import MotionBlock, Representation
from motiongen.training.previews import block_panel


@pytest.fixture(scope="module")
def template() -> SkeletonTemplate:
    return SkeletonTemplate.from_motion(load_beat75_template(), frame=0)


def _panel(template, joint_names):
    block = MotionBlock("arms", Representation.AXIS_ANGLE, tuple(joint_names), "rad")
    return block_panel(block, template, "RightHand", "jawOpen")


def test_wrist_moves_rigidly_with_the_shoulder_and_matches_forward_kinematics(template):
    joints = load_joint_set("beat47_upper")
    panel = _panel(template, joints)
    assert panel.title == "RightHand position relative to the root (cm)"
    frames = 12
    axis_angle = np.zeros((frames, 3 * len(joints)))
    shoulder = joints.index("RightArm")
    axis_angle[:, 3 * shoulder + 2] = np.linspace(0.0, 1.2, frames)  # swing the upper arm about z
    wrist = panel.pick(axis_angle)
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
    rotation = np.arange(12.0).reshape(2, 6)
    assert _panel(None, ["Spine", "RightHand"]).title == "RightHand rotation (axis-angle, rad)"
    np.testing.assert_array_equal(_panel(None, ["Spine", "RightHand"]).pick(rotation), rotation[:, 3:])
    assert "rotation" in _panel(template, ["NotAJoint", "RightHand"]).title
    assert "position" in _panel(template, ["RightHand"]).title


def test_every_block_gets_a_panel_chosen_by_its_representation():
    face = block_panel(MotionBlock("face", Representation.ARKIT_WEIGHTS, ("eyeBlinkLeft", "jawOpen")), None,
                       "RightHand", "jawOpen")
    assert face.title == "jawOpen (ARKit weight)"
    np.testing.assert_array_equal(face.pick(np.array([[0.1, 0.7]])), [[0.7]])
    body = block_panel(MotionBlock("body", Representation.LANDMARKS_2D, ("nose", "neck"), "px"), None, "RightHand", "jawOpen")
    assert body.title == "body: nose (landmarks_2d, px)" and body.labels == ["nose.x", "nose.y"]
