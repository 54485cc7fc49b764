"""Run-folder export: full-hierarchy BVH (re-read by our reader and by bvhio), BEAT JSON, Live Link
CSV, motion.npz, and the all-or-nothing folder guarantee.

The "generated" motion here is real BEAT capture (the sample take, decimated to 30 fps, reduced to
the model's 47 upper-body joints) so the exported rotations are realistic, not zeros.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace

import numpy as np
import pytest

from motiongen.core.errors import ConfigError
from motiongen.core.motion_file import read_motion_file
from motiongen.datasets.beat.format import beat_motion_format
from motiongen.core.skeleton import SkeletonTemplate
from motiongen.export.folder import atomic_run_folder
from motiongen.export.run import write_run
from motiongen.formats.arkit import ARKIT_NAMES, LIVE_LINK_COLUMNS, read_beat_face_json, read_live_link_csv
from motiongen.formats.bvh import read_bvh
from motiongen.formats.joint_sets import motion_to_axis_angle
from motiongen.generation.types import GeneratedMotion
from motiongen.skeletons import load_joint_set
from motiongen.core.rotations import axis_angle_to_quaternion, euler_to_quaternion
from motiongen.output_folders import MARKER_NAME, is_owned

FRAMES = 90


def rotation_angle(q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """Angle in radians between unit quaternions ``(..., 4)`` (sign-insensitive).

    4·asin(|q1 - ±q2| / 2) instead of 2·acos(|q1·q2|), which loses all precision near zero.
    """
    q1, q2 = np.asarray(q1, dtype=np.float64), np.asarray(q2, dtype=np.float64)
    sign = np.where(np.sum(q1 * q2, axis=-1, keepdims=True) < 0, -1.0, 1.0)
    return 4 * np.arcsin((np.linalg.norm(q1 - sign * q2, axis=-1) / 2).clip(max=1.0))


@pytest.fixture(scope="module")
def beat_motion(sample_file):
    return read_bvh(sample_file("beat/2_scott_0_1_1.bvh"), allow_truncated=True)


@pytest.fixture(scope="module")
def template(beat_motion):
    return SkeletonTemplate.from_motion(beat_motion, frame=0)


def make_generated(beat_motion, samples: int = 1, seed: int = 0, face_names=ARKIT_NAMES) -> GeneratedMotion:
    """Real upper-body rotations at 30 fps and random ARKit weights, the face block declared with its
    channels in a shuffled order; also returns the weights in ARKit order."""
    names = load_joint_set("beat47_upper")
    template = SkeletonTemplate.from_motion(beat_motion, frame=0)
    fmt = beat_motion_format(30.0, names, template, audio_width=4, audio_layout={}, word_width=2, speakers=[2])
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(face_names))
    face = replace(fmt.block("expression"), names=tuple(face_names[i] for i in order))
    fmt = replace(fmt, blocks=(fmt.block("gesture"), face))
    gesture = motion_to_axis_angle(beat_motion, names)[::4][:FRAMES]
    expression = rng.uniform(0, 1, (samples, FRAMES, len(face_names))).astype(np.float32)
    blocks = {"gesture": np.stack([gesture] * samples), "expression": expression[..., order]}
    return GeneratedMotion(blocks, fmt, metadata={"seed": seed}), expression


def test_bvh_rereads_with_our_reader_full_hierarchy_and_rotations(tmp_path, beat_motion, template):
    generated, _ = make_generated(beat_motion)
    run = write_run(tmp_path / "run", generated, preview=False)
    motion = read_bvh(run.folder / "motion.bvh")
    skeleton = motion.skeleton
    assert skeleton.names == beat_motion.skeleton.names and skeleton.num_joints == 75
    assert skeleton.rotation_orders == beat_motion.skeleton.rotation_orders
    assert skeleton.channels == beat_motion.skeleton.channels
    np.testing.assert_allclose(skeleton.offsets, beat_motion.skeleton.offsets, atol=1e-6)
    assert motion.num_frames == FRAMES and motion.fps == 30.0
    generated_idx = skeleton.index_of(generated.motion_format.block("gesture").names)
    orders = [skeleton.rotation_orders[j] for j in range(75)]
    quats = np.stack([euler_to_quaternion(motion.euler_deg[:, j], orders[j]) for j in range(75)], axis=1)
    expected = axis_angle_to_quaternion(generated.blocks["gesture"][0].reshape(FRAMES, -1, 3))
    assert rotation_angle(quats[:, generated_idx], expected).max() < 1e-4
    others = np.setdiff1d(np.arange(75), generated_idx)
    np.testing.assert_allclose(motion.euler_deg[:, others], np.repeat(template.rest_euler_deg[None, others], FRAMES, 0), atol=1e-5)
    np.testing.assert_allclose(motion.root_translation, np.repeat(template.rest_root_translation[None], FRAMES, 0), atol=1e-5)


def test_bvh_rereads_with_bvhio(tmp_path, beat_motion, template, cross_check_module):
    bvhio = cross_check_module("bvhio")
    generated, _ = make_generated(beat_motion)
    run = write_run(tmp_path / "run", generated, preview=False)
    ours = read_bvh(run.folder / "motion.bvh")
    container = bvhio.readAsBvh(str(run.folder / "motion.bvh"))
    joints = [joint for joint, _, _ in container.Root.layout()]
    assert [joint.Name for joint in joints] == ours.skeleton.names
    assert container.FrameCount == FRAMES and all(len(joint.Keyframes) == FRAMES for joint in joints)
    assert abs(container.FrameTime - 1 / 30) < 1e-6
    theirs = np.array([[[k.Rotation.w, k.Rotation.x, k.Rotation.y, k.Rotation.z] for k in joint.Keyframes] for joint in joints])
    mine = np.stack([euler_to_quaternion(ours.euler_deg[:, j], ours.skeleton.rotation_orders[j]) for j in range(75)])
    assert rotation_angle(theirs, mine).max() < 1e-4
    generated_idx = ours.skeleton.index_of(generated.motion_format.block("gesture").names)
    expected = axis_angle_to_quaternion(generated.blocks["gesture"][0].reshape(FRAMES, -1, 3)).transpose(1, 0, 2)
    assert rotation_angle(theirs[generated_idx], expected).max() < 1e-4


def test_face_files_and_npz(tmp_path, beat_motion, template):
    generated, arkit_weights = make_generated(beat_motion)
    run = write_run(tmp_path / "run", generated, inputs={"audio": {"path": "a.wav", "sha256": "ab" * 32}},
                    model={"checkpoint": "m.ckpt", "sha256": "cd" * 32}, config={"sampler": {"steps": 25}}, preview=False)
    assert sorted(run.files) == ["face.json", "face_livelink.csv", "metadata.json", "motion.bvh", "motion.npz",
                                 "smplx.npz"]
    header = (run.folder / "face_livelink.csv").read_text().splitlines()[0].split(",")
    assert tuple(header) == LIVE_LINK_COLUMNS
    csv = read_live_link_csv(run.folder / "face_livelink.csv")
    assert csv.num_frames == FRAMES
    np.testing.assert_allclose(csv.weights, arkit_weights[0], atol=1e-6)
    face = read_beat_face_json(run.folder / "face.json")
    np.testing.assert_allclose(face.weights, arkit_weights[0], atol=1e-6)
    assert face.fps == pytest.approx(30.0)
    motion = read_motion_file(run.folder / "motion.npz")
    face_names = motion.format.block("expression").names
    np.testing.assert_allclose(motion.blocks["expression"][0], arkit_weights[0][:, [ARKIT_NAMES.index(n) for n in face_names]])
    np.testing.assert_array_equal(motion.blocks["gesture"], generated.blocks["gesture"])
    assert motion.format.to_dict() == generated.motion_format.to_dict()
    assert motion.metadata["outputs"] == ["bvh", "arkit", "smplx"]
    assert len(motion.extras["bvh_joint_names"]) == 75 and motion.format.fps == 30.0
    assert motion.metadata["inputs"]["audio"]["sha256"] == "ab" * 32
    assert motion.metadata["model"]["sha256"] == "cd" * 32 and motion.metadata["generation"]["seed"] == 0
    assert motion.metadata["config"] == {"sampler": {"steps": 25}}
    metadata = json.loads((run.folder / "metadata.json").read_text())
    assert metadata["model"]["checkpoint"] == "m.ckpt"


def test_several_samples_get_numbered_files(tmp_path, beat_motion, template):
    generated, _ = make_generated(beat_motion, samples=2)
    run = write_run(tmp_path / "run", generated, preview=False)
    assert {"motion_0.bvh", "motion_1.bvh", "face_0.json", "face_livelink_1.csv"} <= set(run.files)
    assert read_motion_file(run.folder / "motion.npz").extras["euler_deg"].shape == (2, FRAMES, 75, 3)


def test_preview_files(tmp_path, beat_motion, template):
    generated, _ = make_generated(beat_motion)
    wave = np.sin(np.linspace(0, 2000, 16000 * 3)).astype(np.float32) * 0.1
    run = write_run(tmp_path / "run", generated, audio=(wave, 16000), preview=True)
    assert (run.folder / "preview.mp4").stat().st_size > 1000
    assert (run.folder / "face_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_failure_midway_leaves_no_folder(tmp_path, beat_motion, template):
    generated, _ = make_generated(beat_motion)
    generated.blocks["expression"][0, 5, 3] = np.nan  # the face writers refuse non-finite weights, after the BVH is written
    with pytest.raises(ValueError, match="NaN"):
        write_run(tmp_path / "run", generated, preview=False)
    assert list(tmp_path.iterdir()) == []


def test_overwrite_replaces_only_a_folder_motiongen_wrote(tmp_path, beat_motion, template):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    generated, _ = make_generated(beat_motion)
    with pytest.raises(ConfigError, match="not empty"):
        write_run(out, generated, preview=False)
    with pytest.raises(ConfigError, match=f"{out}.*not written by motiongen"):
        write_run(out, generated, preview=False, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"] and (out / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]

    ours = tmp_path / "ours"
    first = write_run(ours, generated, preview=False)
    assert is_owned(ours) and MARKER_NAME not in first.files
    (ours / "notes.txt").write_text("scratch")
    second = write_run(ours, generated, preview=False, overwrite=True)
    assert not (ours / "notes.txt").exists() and (second.folder / "motion.bvh").is_file() and is_owned(ours)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours", "run"]


def test_run_folder_gets_plain_mkdir_permissions(tmp_path, beat_motion, template):
    generated, _ = make_generated(beat_motion)
    previous = os.umask(0o022)
    try:
        run = write_run(tmp_path / "shared" / "run", generated, preview=False)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(run.folder.stat().st_mode) == 0o755
    assert stat.S_IMODE(run.folder.parent.stat().st_mode) == 0o755


def test_atomic_folder_appears_only_on_success(tmp_path):
    with atomic_run_folder(tmp_path / "ok") as staging:
        (staging / "a.txt").write_text("x")
        assert not (tmp_path / "ok").exists()
    assert (tmp_path / "ok" / "a.txt").read_text() == "x"
    with pytest.raises(RuntimeError):
        with atomic_run_folder(tmp_path / "bad") as staging:
            (staging / "a.txt").write_text("x")
            raise RuntimeError("boom")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok"]


def test_unsupported_fps_and_impossible_outputs_fail_before_writing(tmp_path, beat_motion):
    generated, _ = make_generated(beat_motion)
    with pytest.raises(ConfigError, match="fps"):
        write_run(tmp_path / "run", generated, out_fps=60, preview=False)
    with pytest.raises(ConfigError, match="unknown output"):
        write_run(tmp_path / "run", generated, outputs=["fbx"])
    partial, _ = make_generated(beat_motion, face_names=ARKIT_NAMES[:40])
    with pytest.raises(ConfigError, match="output arkit is not possible: needs all 52 ARKit blendshapes"):
        write_run(tmp_path / "run", partial, outputs=["bvh", "arkit"])
    assert list(tmp_path.iterdir()) == []


def test_outputs_follow_the_motion_format(tmp_path, beat_motion):
    """A face block without all ARKit names still gets its BVH and motion file; the missing outputs
    are stated in the warnings, never dropped silently."""
    partial, _ = make_generated(beat_motion, face_names=ARKIT_NAMES[:40])
    run = write_run(tmp_path / "run", partial)
    assert sorted(run.files) == ["metadata.json", "motion.bvh", "motion.npz", "smplx.npz", "smplx_preview.mp4"]
    assert any("no SMPL-X model folder given" in w for w in run.warnings)
    assert any(w.startswith("no arkit output: needs all 52 ARKit blendshapes") for w in run.warnings)
    assert any(w.startswith("no preview output") for w in run.warnings)
    generated, _ = make_generated(beat_motion)
    only_face = write_run(tmp_path / "face", generated, outputs=["arkit"])
    assert sorted(only_face.files) == ["face.json", "face_livelink.csv", "metadata.json", "motion.npz"]
