"""SMPL-X skeleton data, model files (synthetic, loaded by ``smplx.create``), BEAT2 npz takes and
BEAT2 corpus discovery."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from smplx.joint_names import JOINT_NAMES

from motiongen.core.smplx_skeleton import (
    NUM_SMPLX_JOINTS,
    SMPLX_JOINT_NAMES,
    SMPLX_PARENTS,
    rest_joint_positions,
    rest_offsets,
    smplx_joint_indices,
)
from motiongen.datasets.beat2.takes import discover_beat2, read_beat2_split_csv
from motiongen.skeletons import resolve_joint_selection
from motiongen.core.errors import InputFileError
from motiongen.formats.smplx_model import (
    MODEL_KEYS,
    check_model_file,
    find_model_file,
    write_synthetic_smplx_model,
)
from motiongen.formats.smplx_motion import SmplxMotion, read_smplx_motion, write_smplx_motion
from smplx_samples import synthetic_smplx_motion, write_beat2_corpus


def test_joint_names_and_tree_match_the_smplx_package():
    assert SMPLX_JOINT_NAMES == tuple(JOINT_NAMES[:NUM_SMPLX_JOINTS])
    assert SMPLX_PARENTS[0] == -1 and np.all(SMPLX_PARENTS[1:] < np.arange(1, NUM_SMPLX_JOINTS))
    names = dict(zip(SMPLX_JOINT_NAMES, SMPLX_PARENTS))
    assert SMPLX_JOINT_NAMES[names["left_wrist"]] == "left_elbow"
    assert SMPLX_JOINT_NAMES[names["right_thumb1"]] == "right_wrist"
    assert SMPLX_JOINT_NAMES[names["jaw"]] == "head"


def test_joint_selection_and_indices():
    upper_hands = resolve_joint_selection(["upper", "hands"])
    assert len(upper_hands) == 13 + 30 and upper_hands[0] == "spine1"
    assert resolve_joint_selection("all") == SMPLX_JOINT_NAMES
    assert resolve_joint_selection(["jaw", "upper"])[-1] == "jaw"
    np.testing.assert_array_equal(smplx_joint_indices(["pelvis", "jaw"]), [0, 22])
    with pytest.raises(KeyError, match="LeftHand"):
        smplx_joint_indices(["LeftHand"])
    with pytest.raises(KeyError, match="torso"):
        resolve_joint_selection(["upper", "torso"])


def test_rest_offsets_round_trip():
    positions = rest_joint_positions()
    np.testing.assert_allclose(rest_offsets(positions), rest_offsets(rest_joint_positions(rest_offsets(positions))))
    assert positions[SMPLX_JOINT_NAMES.index("head"), 1] > 0.5  # head above the pelvis
    assert positions[SMPLX_JOINT_NAMES.index("left_wrist"), 0] > 0.7  # T-pose, left at +X


def test_synthetic_model_has_the_real_layout_and_smplx_loads_it(smplx_model_folder):
    import smplx

    path, gender = find_model_file(smplx_model_folder)
    shapes = check_model_file(path)
    assert set(MODEL_KEYS) <= set(shapes)
    assert shapes["v_template"] == (10475, 3) and shapes["f"] == (20908, 3)
    assert shapes["shapedirs"] == (10475, 3, 400) and shapes["posedirs"] == (10475, 3, 486)
    model = smplx.create(str(path), model_type="smplx", gender=gender, num_betas=300,
                         num_expression_coeffs=100, use_pca=False, flat_hand_mean=True, ext="npz")
    assert model.num_betas == 300 and model.num_expression_coeffs == 100
    output = model(betas=torch.zeros(1, 300), expression=torch.zeros(1, 100), return_verts=True)
    assert output.vertices.shape == (1, 10475, 3)
    # Zero pose and shape: the regressed joints are the approximate rest skeleton.
    np.testing.assert_allclose(output.joints[0, :NUM_SMPLX_JOINTS].detach().numpy(), rest_joint_positions(),
                               atol=1e-5)


def test_model_file_errors_name_the_file(tmp_path):
    with pytest.raises(InputFileError, match="SMPLX_NEUTRAL"):
        find_model_file(tmp_path)
    broken = tmp_path / "SMPLX_NEUTRAL.npz"
    np.savez(broken, v_template=np.zeros((10, 3)))
    with pytest.raises(InputFileError, match="missing key 'f'.*'v_template' has shape"):
        check_model_file(broken)


def test_synthetic_model_gender_tag(tmp_path):
    path = write_synthetic_smplx_model(tmp_path, gender="neutral_2020", num_shape=10, num_expression=10)
    assert path.name == "SMPLX_NEUTRAL_2020.npz"
    assert find_model_file(tmp_path) == (path, "NEUTRAL_2020")


def test_smplx_npz_round_trip_keys_dtypes_shapes(tmp_path):
    motion = synthetic_smplx_motion(45, seed=3)
    path = write_smplx_motion(tmp_path / "take.npz", motion)
    with np.load(path) as data:
        assert sorted(data.files) == sorted(["poses", "expressions", "trans", "betas", "gender",
                                             "mocap_frame_rate", "model"])
        assert data["poses"].shape == (45, 165) and data["poses"].dtype == np.float32
        assert data["expressions"].shape == (45, 100) and data["trans"].shape == (45, 3)
        assert data["betas"].shape == (300,)
        assert int(data["mocap_frame_rate"]) == 30 and str(data["gender"]) == "neutral"
    back = read_smplx_motion(path)
    for key in ("poses", "expressions", "trans", "betas"):
        np.testing.assert_array_equal(getattr(back, key), getattr(motion, key))
    assert back.fps == 30 and back.model == "smplx2020" and not back.warnings


def test_smplx_npz_reader_errors_and_length_mismatch(tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, poses=np.zeros((5, 156)), trans=np.zeros((5, 3)), betas=np.zeros(300),
             expressions=np.zeros((5, 100)))
    with pytest.raises(InputFileError, match=r"bad.npz.*'poses' must have shape \(frames, 165\)"):
        read_smplx_motion(bad)
    np.savez(bad, poses=np.zeros((5, 165)), trans=np.zeros((5, 3)), betas=np.zeros(300))
    with pytest.raises(InputFileError, match="missing key.*expressions"):
        read_smplx_motion(bad)
    np.savez(bad, poses=np.full((5, 165), np.nan), trans=np.zeros((5, 3)), betas=np.zeros(300),
             expressions=np.zeros((5, 100)))
    with pytest.raises(InputFileError, match="NaN"):
        read_smplx_motion(bad)
    np.savez(bad, poses=np.zeros((6, 165)), trans=np.zeros((5, 3)), betas=np.zeros(300),
             expressions=np.zeros((6, 100)), mocap_frame_rate=30)
    motion = read_smplx_motion(bad)
    assert motion.num_frames == 5 and "frame counts differ" in motion.warnings[0]
    with pytest.raises(ValueError, match="expressions"):
        SmplxMotion(poses=np.zeros((3, 165)), expressions=np.zeros((3, 50)), trans=np.zeros((3, 3)))


def test_discover_beat2_reports_splits_and_missing_modalities(tmp_path):
    root = write_beat2_corpus(tmp_path / "beat2", {"2_scott_0_1_1": "train", "2_scott_0_2_2": "test",
                                                   "4_lawrence_0_3_3": "additional"}, seconds=1.0)
    (root / "wave16k" / "2_scott_0_2_2.wav").unlink()
    (root / "smplxflame_30" / "5_stewart_0_9_9.npz").write_bytes(b"")  # not in the CSV
    (root / "smplxflame_30" / "notes.npz").write_bytes(b"")  # misnamed
    with open(root / "train_test_split.csv", "a") as handle:
        handle.write("7_sophie_0_1_1,val\n")  # no files
    corpus = discover_beat2(root)
    by_id = {take.take_id: take for take in corpus}
    assert list(by_id) == ["2_scott_0_1_1", "2_scott_0_2_2", "4_lawrence_0_3_3", "5_stewart_0_9_9"]
    assert by_id["2_scott_0_1_1"].speaker_name == "scott" and by_id["2_scott_0_1_1"].speaker_id == 2
    assert by_id["2_scott_0_2_2"].missing == ["wav", "emo", "sem"]
    assert by_id["2_scott_0_1_1"].split() == "train" and by_id["2_scott_0_2_2"].split() == "test"
    assert by_id["4_lawrence_0_3_3"].split() is None
    assert by_id["4_lawrence_0_3_3"].split(include_additional=True) == "train"
    assert by_id["5_stewart_0_9_9"].split_type is None
    messages = " | ".join(message for _, message in corpus.problems)
    assert "5_stewart_0_9_9 is not listed" in messages
    assert "7_sophie_0_1_1 which has no file" in messages
    assert "does not follow" in messages
    assert "no take has emo" in messages


def test_beat2_split_csv_errors(tmp_path):
    path = tmp_path / "split.csv"
    path.write_text("type,id\ntrain,2_scott_0_1_1\n")
    assert read_beat2_split_csv(path) == {"2_scott_0_1_1": "train"}
    path.write_text("take,split\n2_scott_0_1_1,train\n")
    with pytest.raises(InputFileError, match="lacks the columns"):
        read_beat2_split_csv(path)
    path.write_text("id,type\n2_scott_0_1_1,holdout\n")
    with pytest.raises(InputFileError, match=r"split.csv:2.*holdout"):
        read_beat2_split_csv(path)


def test_retargeting_keeps_bone_directions_on_the_beat_sample(sample_file):
    from motiongen.export.smplx_retarget import (
        bone_direction_errors,
        primary_children,
        retarget_bvh_to_smplx,
    )
    from motiongen.formats.bvh import read_bvh

    motion = read_bvh(sample_file("beat/2_scott_0_1_1.bvh"), allow_truncated=True)
    jaw = np.linspace(0, 1, motion.num_frames)
    result = retarget_bvh_to_smplx(motion.skeleton, motion.euler_deg, motion.root_translation, jaw_open=jaw)
    assert result.poses.shape == (motion.num_frames, 165) and result.poses.dtype == np.float32
    errors = bone_direction_errors(motion.skeleton, motion.euler_deg, motion.root_translation, result)
    followed = {f"{SMPLX_JOINT_NAMES[j]}->{SMPLX_JOINT_NAMES[c]}" for j, c in primary_children().items()}
    assert len(errors) == 51 and followed <= set(errors)
    # Each mapped joint's own bone follows BEAT; siblings keep the SMPL-X rest angles between them.
    assert max(errors[bone] for bone in followed) < 0.5
    assert max(errors.values()) < 20.0
    np.testing.assert_allclose(result.poses[:, 3 * 22], np.radians(25.0) * jaw, atol=1e-6)


def test_retargeting_the_beat_t_pose_gives_the_smplx_rest_pose():
    from motiongen.export.smplx_retarget import retarget_bvh_to_smplx, smplx_joint_positions
    from motiongen.skeletons import load_beat75_template

    skeleton = load_beat75_template().skeleton
    euler = np.zeros((2, skeleton.num_joints, 3))
    euler[1, skeleton.index_of(["LeftForeArm"])[0]] = (0.0, 0.0, 60.0)  # bend the left elbow
    root = np.array([[0.0, 92.75, 0.0], [10.0, 92.75, 0.0]])
    result = retarget_bvh_to_smplx(skeleton, euler, root)
    # The rest skeleton's offsets are the template's rounded to 0.1 mm: rest angles agree to 0.2 degrees.
    np.testing.assert_allclose(result.poses[0], 0.0, atol=3e-3)
    elbow = SMPLX_JOINT_NAMES.index("left_elbow")
    np.testing.assert_allclose(result.poses[1].reshape(55, 3)[elbow], (0.0, 0.0, np.radians(60.0)), atol=3e-3)
    assert np.count_nonzero(np.abs(result.poses[1] - result.poses[0]) > 1e-6) == 1
    np.testing.assert_allclose(result.trans[1] - result.trans[0], (0.1, 0.0, 0.0), atol=1e-4)  # leg-length scale ~1
    positions = smplx_joint_positions(result.poses, result.trans, rest_joint_positions())
    assert positions.shape == (2, 55, 3)
