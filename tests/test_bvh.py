"""BVH reader and writer: synthetic files for every structure and error case, plus the real sample."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bvh_samples import (
    FIRST_ROW_LINE,
    HIERARCHY,
    MOTION_LINE,
    NAMES,
    ORDERS,
    PARENTS,
    WIDTH,
    bvh_text,
    header_fixed_copy,
    random_rows,
    write_text,
)
from motiongen.core.errors import InputFileError
from motiongen.core.skeleton import Skeleton
from motiongen.formats.bvh import TruncatedBvhError, read_bvh, write_bvh
from motiongen.formats.joint_sets import axis_angle_to_euler, motion_to_axis_angle
from motiongen.skeletons import load_joint_set
from motiongen.core.kinematics import forward_kinematics
from motiongen.core.rotations import euler_to_matrix

REAL = "beat/2_scott_0_1_1.bvh"


def assert_error(path, line: int, pattern: str, **kwargs):
    with pytest.raises(InputFileError) as caught:
        read_bvh(path, **kwargs)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert re.search(pattern, message), message
    assert caught.value.line == line
    return caught.value


# --- structure ------------------------------------------------------------------------------

def test_synthetic_hierarchy_and_channels_are_read(tmp_path):
    rows = random_rows(5)
    motion = read_bvh(write_text(tmp_path, bvh_text(rows, frame_time="0.0333333")))
    skeleton = motion.skeleton
    assert skeleton.names == NAMES
    assert skeleton.parents.tolist() == PARENTS
    assert skeleton.rotation_orders == ORDERS
    np.testing.assert_array_equal(skeleton.offsets[2], [0.0, 5.0, 1.0])
    assert skeleton.channels[3] == ("Zrotation", "Xrotation")
    assert sorted(skeleton.end_sites) == [2, 3, 4]
    np.testing.assert_array_equal(skeleton.end_sites[3], [-6.0, 0.0, 0.0])
    assert motion.num_frames == 5 and motion.warnings == []
    assert motion.fps == 30.0 and motion.frame_time == pytest.approx(0.0333333)
    # Columns land in the right joint and Euler slot (each joint's own order).
    np.testing.assert_allclose(motion.root_translation, rows[:, 0:3], atol=1e-6)
    np.testing.assert_allclose(motion.euler_deg[:, 0], rows[:, 3:6], atol=1e-6)  # Z X Y
    np.testing.assert_allclose(motion.euler_deg[:, 1], rows[:, 6:9], atol=1e-6)
    np.testing.assert_allclose(motion.joint_translations[2], rows[:, 9:12], atol=1e-6)
    np.testing.assert_allclose(motion.euler_deg[:, 2], rows[:, 12:15], atol=1e-6)  # Y Z X
    np.testing.assert_allclose(motion.euler_deg[:, 3, :2], rows[:, 15:17], atol=1e-6)
    np.testing.assert_array_equal(motion.euler_deg[:, 3, 2], 0.0)  # Arm has no Y channel
    np.testing.assert_allclose(motion.euler_deg[:, 4], rows[:, 17:20], atol=1e-6)
    assert list(motion.joint_translations) == [2]


def test_local_rotations_follow_each_joints_order(tmp_path):
    motion = read_bvh(write_text(tmp_path, bvh_text(random_rows(3))))
    rotations = motion.local_rotations()
    for joint, order in enumerate(ORDERS):
        np.testing.assert_allclose(rotations[:, joint], euler_to_matrix(motion.euler_deg[:, joint], order),
                                   atol=1e-12)


def test_index_of_names_every_missing_joint():
    skeleton = Skeleton(names=["A", "B"], parents=[-1, 0], offsets=np.zeros((2, 3)),
                        channels=[(), ()], rotation_orders=["XYZ", "XYZ"])
    np.testing.assert_array_equal(skeleton.index_of(["B", "A"]), [1, 0])
    with pytest.raises(KeyError, match="2 joint.*C, D"):
        skeleton.index_of(["A", "C", "D"])


def test_blank_lines_and_crlf_are_tolerated(tmp_path):
    rows = random_rows(4)
    text = bvh_text(rows).replace("\n", "\r\n") + "\r\n\r\n"
    motion = read_bvh(write_text(tmp_path, text))
    assert motion.num_frames == 4
    np.testing.assert_allclose(motion.root_translation, rows[:, :3], atol=1e-6)


def test_zero_frames_is_a_valid_file(tmp_path):
    motion = read_bvh(write_text(tmp_path, bvh_text(np.zeros((0, WIDTH)))))
    assert motion.num_frames == 0 and motion.euler_deg.shape == (0, 5, 3)


# --- bad input: file, line and reason ------------------------------------------------------

def test_empty_and_blank_files(tmp_path):
    assert_error(write_text(tmp_path, "", "empty.bvh"), 1, "file is empty")
    assert_error(write_text(tmp_path, " \n\t\n", "blank.bvh"), 1, "file is empty")


def test_not_utf8(tmp_path):
    path = tmp_path / "binary.bvh"
    path.write_bytes(b"HIERARCHY\nROOT \xff\xfe\n")
    assert_error(path, 2, "not a text BVH")


def test_missing_frame_time(tmp_path):
    text = bvh_text(random_rows(2)).replace("Frame Time: 0.008333\n", "")
    assert_error(write_text(tmp_path, text), MOTION_LINE + 2, "missing 'Frame Time")


def test_bad_frame_time_and_frame_count(tmp_path):
    assert_error(write_text(tmp_path, bvh_text(random_rows(2), frame_time="0"), "a.bvh"),
                 MOTION_LINE + 2, "positive number of seconds")
    text = bvh_text(random_rows(2)).replace("Frames: 2", "Frames: two")
    assert_error(write_text(tmp_path, text, "b.bvh"), MOTION_LINE + 1, "whole number")
    text = bvh_text(random_rows(2)).replace("Frames: 2\n", "")
    assert_error(write_text(tmp_path, text, "c.bvh"), MOTION_LINE + 1, "expected 'Frames: <count>'")


def test_missing_motion_section(tmp_path):
    assert_error(write_text(tmp_path, HIERARCHY), HIERARCHY.count("\n"), "no 'MOTION'")


def test_unknown_channel_name(tmp_path):
    text = bvh_text(random_rows(2)).replace("CHANNELS 3 Xrotation Yrotation Zrotation",
                                            "CHANNELS 3 Xrotation Yrotation Zrot")
    assert_error(write_text(tmp_path, text), 9, "unknown channel name 'Zrot' in joint 'Spine'")


def test_channel_count_larger_than_names(tmp_path):
    text = bvh_text(random_rows(2)).replace("CHANNELS 2 Zrotation Xrotation",
                                            "CHANNELS 3 Zrotation Xrotation")
    assert_error(write_text(tmp_path, text), 23, "unknown channel name 'End'")


def test_repeated_channel(tmp_path):
    text = bvh_text(random_rows(2)).replace("CHANNELS 2 Zrotation Xrotation",
                                            "CHANNELS 2 Zrotation Zrotation")
    assert_error(write_text(tmp_path, text), 22, "channel 'Zrotation' repeated in joint 'Arm'")


def test_missing_closing_brace(tmp_path):
    broken = HIERARCHY[: HIERARCHY.rindex("}")]  # drop the root's closing brace
    text = broken + "MOTION\nFrames: 0\nFrame Time: 0.1\n"
    assert_error(write_text(tmp_path, text), broken.count("\n"), r"hierarchy ends early.*closing joint 'Hips'")


def test_extra_closing_brace(tmp_path):
    text = bvh_text(random_rows(1)).replace("}\nMOTION", "}\n}\nMOTION")
    assert_error(write_text(tmp_path, text), MOTION_LINE, r"unexpected '}' after the root")


def test_missing_opening_brace(tmp_path):
    text = bvh_text(random_rows(1)).replace("JOINT Leg\n\t{", "JOINT Leg\n")
    assert_error(write_text(tmp_path, text), 31, "expected '{', found 'OFFSET'")


def test_garbage_in_joint(tmp_path):
    text = bvh_text(random_rows(1)).replace("\tJOINT Leg", "\tJIONT Leg")
    assert_error(write_text(tmp_path, text), 29, "expected 'JOINT', 'End Site' or '}' in joint 'Hips', found 'JIONT'")


def test_non_numeric_offset(tmp_path):
    text = bvh_text(random_rows(1)).replace("OFFSET 2.0 -9.0 0.0", "OFFSET 2.0 minus9 0.0")
    assert_error(write_text(tmp_path, text), 31, "OFFSET Y of Leg must be a number, found 'minus9'")


def test_duplicate_joint_name(tmp_path):
    text = bvh_text(random_rows(1)).replace("JOINT Leg", "JOINT Arm")
    assert_error(write_text(tmp_path, text), 29, "joint name 'Arm' is used twice")


def test_second_root_is_rejected(tmp_path):
    text = HIERARCHY + "ROOT Other\n{\n}\nMOTION\nFrames: 0\nFrame Time: 0.1\n"
    assert_error(write_text(tmp_path, text), MOTION_LINE, "more than one ROOT")


def test_wrong_column_count_names_the_row(tmp_path):
    rows = random_rows(6)
    lines = bvh_text(rows).splitlines()
    lines[FIRST_ROW_LINE - 1 + 3] += " 1.0"  # fourth row has one value too many
    assert_error(write_text(tmp_path, "\n".join(lines) + "\n"), FIRST_ROW_LINE + 3,
                 f"frame row has {WIDTH + 1} values, expected {WIDTH}")


def test_every_row_short_is_an_error(tmp_path):
    lines = bvh_text(random_rows(3)).splitlines()
    for index in range(FIRST_ROW_LINE - 1, len(lines)):
        lines[index] = lines[index].rsplit(" ", 1)[0]
    assert_error(write_text(tmp_path, "\n".join(lines) + "\n"), FIRST_ROW_LINE,
                 f"frame row has {WIDTH - 1} values")


@pytest.mark.parametrize("token", ["1.5e", "abc", "1_000", "0x10", "1,5", "\u0661"])
def test_non_numeric_token_names_row_and_column(tmp_path, token):
    lines = bvh_text(random_rows(5)).splitlines()
    values = lines[FIRST_ROW_LINE - 1 + 2].split()
    values[7] = token
    lines[FIRST_ROW_LINE - 1 + 2] = " ".join(values)
    assert_error(write_text(tmp_path, "\n".join(lines) + "\n"), FIRST_ROW_LINE + 2,
                 f"non-numeric value '{token}' in column 8")


@pytest.mark.parametrize("token", ["nan", "NaN", "inf", "-inf"])
def test_non_finite_values(tmp_path, token):
    lines = bvh_text(random_rows(5)).splitlines()
    values = lines[FIRST_ROW_LINE - 1 + 4].split()
    values[0] = token
    lines[FIRST_ROW_LINE - 1 + 4] = " ".join(values)
    assert_error(write_text(tmp_path, "\n".join(lines) + "\n"), FIRST_ROW_LINE + 4,
                 "non-finite value .* in column 1")


def test_fewer_rows_than_declared(tmp_path):
    path = write_text(tmp_path, bvh_text(random_rows(4), declared=10))
    error = assert_error(path, MOTION_LINE + 1, "Frames: 10 but only 4 complete frame rows.*allow_truncated=True")
    assert isinstance(error, TruncatedBvhError)
    # Interfaces replace the Python advice with their own switch, or with none.
    cli = error.with_remedy("pass --allow-truncated")
    assert str(cli) == f"{path}:{MOTION_LINE + 1}: {error.problem}; pass --allow-truncated" and cli.line == error.line
    assert str(error.with_remedy(None)) == f"{path}:{MOTION_LINE + 1}: {error.problem}"
    motion = read_bvh(path, allow_truncated=True)
    assert motion.num_frames == 4
    assert len(motion.warnings) == 1 and f"{path}:{MOTION_LINE + 1}:" in motion.warnings[0]


def test_more_rows_than_declared(tmp_path):
    path = write_text(tmp_path, bvh_text(random_rows(4), declared=3))
    assert_error(path, FIRST_ROW_LINE + 3, "Frames: 3 but 4 frame rows follow")
    assert_error(path, FIRST_ROW_LINE + 3, "Frames: 3 but 4 frame rows follow", allow_truncated=True)


def test_file_cut_off_mid_row(tmp_path):
    rows = random_rows(5)
    text = bvh_text(rows, declared=5)
    cut = text[: text.rstrip().rindex(" ", 0, len(text) - 40)]  # last row loses its tail
    path = write_text(tmp_path, cut)
    error = assert_error(path, FIRST_ROW_LINE + 4, "last frame row has .* cut off mid-row")
    assert isinstance(error, TruncatedBvhError)
    motion = read_bvh(path, allow_truncated=True)
    assert motion.num_frames == 4
    np.testing.assert_allclose(motion.root_translation, rows[:4, :3], atol=1e-6)
    assert any("cut off mid-row" in w for w in motion.warnings)
    assert any("Frames: 5 but only 4" in w for w in motion.warnings)


# --- writer ----------------------------------------------------------------------------------

def test_write_read_round_trip_preserves_everything(tmp_path):
    source = read_bvh(write_text(tmp_path, bvh_text(random_rows(7))))
    out = tmp_path / "out.bvh"
    write_bvh(out, source.skeleton, source.euler_deg, source.root_translation, source.frame_time,
              joint_translations=source.joint_translations)
    again = read_bvh(out)
    assert again.skeleton.names == source.skeleton.names
    assert again.skeleton.channels == source.skeleton.channels
    assert again.skeleton.rotation_orders == ORDERS
    np.testing.assert_array_equal(again.skeleton.parents, source.skeleton.parents)
    np.testing.assert_allclose(again.skeleton.offsets, source.skeleton.offsets, atol=1e-6)
    assert sorted(again.skeleton.end_sites) == sorted(source.skeleton.end_sites)
    for joint, offset in source.skeleton.end_sites.items():
        np.testing.assert_allclose(again.skeleton.end_sites[joint], offset, atol=1e-6)
    np.testing.assert_allclose(again.euler_deg, source.euler_deg, atol=1e-6)
    np.testing.assert_allclose(again.root_translation, source.root_translation, atol=1e-6)
    np.testing.assert_allclose(again.joint_translations[2], source.joint_translations[2], atol=1e-6)
    assert again.frame_time == pytest.approx(source.frame_time)


def test_writer_rejects_unrepresentable_or_bad_values(tmp_path):
    source = read_bvh(write_text(tmp_path, bvh_text(random_rows(2))))
    args = (source.skeleton, source.euler_deg, source.root_translation, source.frame_time)
    euler = source.euler_deg.copy()
    euler[0, 3, 2] = 5.0  # Arm has no Yrotation channel
    with pytest.raises(ValueError, match="'Arm' has no channel"):
        write_bvh(tmp_path / "o.bvh", source.skeleton, euler, source.root_translation, source.frame_time)
    euler = source.euler_deg.copy()
    euler[1, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        write_bvh(tmp_path / "o.bvh", source.skeleton, euler, source.root_translation, source.frame_time)
    with pytest.raises(ValueError, match="shape"):
        write_bvh(tmp_path / "o.bvh", source.skeleton, source.euler_deg[:, :4], *args[2:])
    with pytest.raises(ValueError, match="frame_time"):
        write_bvh(tmp_path / "o.bvh", *args[:3], 0.0)


# --- the real BEAT sample ---------------------------------------------------------------------

def test_real_file_is_truncated_by_default(sample_file):
    path = sample_file(REAL)
    error = assert_error(path, 430, "Frames: 7669 but only 957 complete frame rows")
    assert "allow_truncated" in error.reason


def test_real_file_with_allow_truncated(sample_file):
    path = sample_file(REAL)
    motion = read_bvh(path, allow_truncated=True)
    assert motion.num_frames == 957
    assert motion.fps == 120.0
    assert motion.skeleton.names == load_joint_set("beat75")
    assert motion.skeleton.num_channels == 228
    assert set(motion.skeleton.rotation_orders) == {"XYZ"}
    assert len(motion.warnings) == 1 and "7669" in motion.warnings[0] and "957" in motion.warnings[0]
    assert len(motion.skeleton.end_sites) == 13


def rotation_angle_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle (radians) of ``a^T b`` for rotation matrices ``(..., 3, 3)``."""
    cos = (np.einsum("...ij,...ij->...", a, b) - 1.0) / 2.0
    return np.arccos(np.clip(cos, -1.0, 1.0))


def test_real_file_round_trip_through_axis_angle(sample_file, tmp_path):
    """read -> axis-angle of all 75 joints -> Euler -> write -> read: < 1e-4 rad, < 1e-3 cm."""
    motion = read_bvh(sample_file(REAL), allow_truncated=True)
    skeleton = motion.skeleton
    axis_angle = motion_to_axis_angle(motion, skeleton.names)
    euler = axis_angle_to_euler(skeleton, axis_angle, skeleton.names, np.zeros((skeleton.num_joints, 3)))
    out = tmp_path / "round_trip.bvh"
    write_bvh(out, skeleton, euler, motion.root_translation, motion.frame_time)
    again = read_bvh(out)
    assert again.num_frames == motion.num_frames and again.warnings == []
    assert again.skeleton.rotation_orders == skeleton.rotation_orders
    angle = rotation_angle_between(motion.local_rotations(), again.local_rotations())
    assert angle.max() < 1e-4
    before = forward_kinematics(skeleton, motion.local_rotations(), motion.root_translation)
    after = forward_kinematics(again.skeleton, again.local_rotations(), again.root_translation)
    assert np.abs(after - before).max() < 1e-3


def test_writer_output_is_readable_by_bvhio(sample_file, tmp_path, cross_check_module):
    bvhio = cross_check_module("bvhio")
    source = read_bvh(header_fixed_copy(sample_file(REAL), tmp_path, 12))
    out = tmp_path / "ours.bvh"
    write_bvh(out, source.skeleton, source.euler_deg, source.root_translation, source.frame_time)
    root = bvhio.readAsHierarchy(str(out))
    joints = [joint for joint, _, _ in root.layout()]
    assert [joint.Name for joint in joints] == source.skeleton.names
    ours = forward_kinematics(source.skeleton, source.local_rotations(), source.root_translation)
    for frame in (0, 5, 11):
        root.loadPose(frame, recursive=True)
        theirs = np.array([tuple(joint.PositionWorld) for joint in joints])
        np.testing.assert_allclose(theirs, ours[frame], atol=1e-3)
