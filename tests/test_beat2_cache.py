"""BEAT2 through the cache: declared blocks (SMPL-X joints by name, FLAME expression, optional root
translation), speaker from the take name, split CSV, skipped/failed takes, resumable rebuild."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motiongen.cache import CacheInfo
from motiongen.cli import main
from motiongen.core.rotations import axis_angle_to_matrix, sixd_to_matrix
from motiongen.core.smplx_skeleton import smplx_joint_indices
from motiongen.formats.smplx_motion import read_smplx_motion

from feature_cache_helpers import preprocess_overrides
from smplx_samples import write_beat2_corpus

TAKES = {"2_scott_0_1_1": "train", "2_scott_0_2_2": "train", "2_scott_0_3_3": "val",
         "2_scott_0_4_4": "additional", "4_lawrence_0_1_1": "train", "2_scott_0_5_5": "test"}


def _beat2(root, cache, *extra):
    return preprocess_overrides(root, cache, "data=beat2", *extra)


def test_beat2_cache_blocks_splits_and_reasons(tmp_path, capsys):
    root = write_beat2_corpus(tmp_path / "beat2", TAKES, seconds=3.0)
    (root / "wave16k" / "2_scott_0_5_5.wav").unlink()
    summary_path = tmp_path / "summary.json"
    code = main(["preprocess", "--no-progress", "--summary-json", str(summary_path),
                 *_beat2(root, tmp_path / "cache", "data.smplx_joints=[upper,jaw]", "data.translation=true")])
    assert code == 0
    summary = json.loads(summary_path.read_text())
    assert sorted(summary["processed"]) == ["2_scott_0_1_1", "2_scott_0_2_2", "2_scott_0_3_3"]
    assert "additional" in summary["skipped"]["2_scott_0_4_4"]
    assert "speaker 4" in summary["skipped"]["4_lawrence_0_1_1"]
    assert "speech" in summary["skipped"]["2_scott_0_5_5"]
    info = CacheInfo.load(tmp_path / "cache")
    fmt = info.format
    assert fmt.block_names() == ("body", "face", "root")
    body = fmt.block("body")
    assert body.names[-1] == "jaw" and len(body.names) == 14 and body.width == 42
    assert fmt.block("face").width == 100 and fmt.block("root").width == 3
    assert fmt.skeleton is not None and fmt.skeleton.skeleton.names[0] == "pelvis"
    assert fmt.condition("speaker").labels == ("2",)
    # Cached arrays are the npz's values for the named joints.
    source = read_smplx_motion(root / "smplxflame_30" / "2_scott_0_1_1.npz")
    cached = np.asarray(info.block("2_scott_0_1_1", "body"))
    expected = source.poses.reshape(-1, 55, 3)[:, smplx_joint_indices(body.names)].reshape(len(source.poses), -1)
    np.testing.assert_allclose(cached, expected[:len(cached)], atol=1e-6)
    np.testing.assert_allclose(np.asarray(info.block("2_scott_0_1_1", "root")), source.trans[:len(cached)], atol=1e-6)
    # Unchanged sources: nothing recomputed.
    assert main(["preprocess", "--no-progress", *_beat2(root, tmp_path / "cache", "data.smplx_joints=[upper,jaw]",
                                                          "data.translation=true")]) == 0
    assert "up to date 3" in capsys.readouterr().out


def test_beat2_rot6d_and_additional_takes(tmp_path):
    root = write_beat2_corpus(tmp_path / "beat2", {"2_scott_0_1_1": "train", "2_scott_0_4_4": "additional"},
                              seconds=2.0)
    assert main(["preprocess", "--no-progress", *_beat2(root, tmp_path / "cache", "data.rotation=rot6d",
                                                          "data.include_additional=true")]) == 0
    info = CacheInfo.load(tmp_path / "cache")
    body = info.format.block("body")
    assert body.representation.value == "rot6d" and body.width == 6 * 43
    assert sorted(take.take_id for take in info.takes) == ["2_scott_0_1_1", "2_scott_0_4_4"]
    source = read_smplx_motion(root / "smplxflame_30" / "2_scott_0_4_4.npz")
    cached = np.asarray(info.block("2_scott_0_4_4", "body")).reshape(-1, 43, 6)
    joints = source.poses.reshape(-1, 55, 3)[: len(cached), smplx_joint_indices(body.names)]
    np.testing.assert_allclose(sixd_to_matrix(cached), axis_angle_to_matrix(joints), atol=1e-5)


def test_beat2_config_errors(tmp_path, capsys):
    root = write_beat2_corpus(tmp_path / "beat2", {"2_scott_0_1_1": "train"}, seconds=1.0)
    assert main(["preprocess", "--no-progress", *_beat2(root, tmp_path / "cache", "data.smplx_joints=[upper,torso]")]) == 2
    assert "torso" in capsys.readouterr().err


def test_beat2_experiments_compose():
    from motiongen.config import compose

    full = compose("config", ["experiment=beat2", "data.root=/data/beat_english_v2.0.0"])
    assert full.data.name == "beat2" and list(full.data.smplx_joints) == ["upper", "hands"]
    assert full.trainer.max_steps == 180000 and full.trainer.loop.clip_frames == 150
    tiny = compose("config", ["experiment=beat2_tiny", "data.root=/data/beat_english_v2.0.0"])
    assert tiny.data.features.name == "spectral" and tiny.model.network.num_layers == 2
