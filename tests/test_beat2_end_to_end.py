"""BEAT2 end to end: synthetic takes in the real layout -> preprocess -> tiny training on
[SMPL-X joints || FLAME expression || root translation] -> generate -> smplx.npz -> mesh preview MP4,
and the exported npz read back through the BEAT2 reader."""

from __future__ import annotations

import json
import shutil

import av
import numpy as np
import pytest

from motiongen.cli import main
from motiongen.config import compose
from motiongen.core.smplx_skeleton import SMPLX_JOINT_NAMES, smplx_joint_indices
from motiongen.skeletons import resolve_joint_selection
from motiongen.datasets.beat2.takes import discover_beat2
from motiongen.formats.smplx_motion import read_smplx_motion

from feature_cache_helpers import preprocess_overrides
from smplx_samples import write_beat2_corpus


@pytest.mark.slow
def test_beat2_preprocess_train_generate_smplx_and_mesh_preview(tmp_path, smplx_model_folder):
    from motiongen.training.run import train

    root = write_beat2_corpus(tmp_path / "beat2", {"2_scott_0_1_1": "train", "2_scott_0_2_2": "train",
                                                   "2_scott_0_3_3": "val"}, seconds=4.0)
    overrides = preprocess_overrides(root, tmp_path / "cache", "data=beat2", "data.translation=true")
    assert main(["preprocess", "--no-progress", *overrides]) == 0
    cfg = compose("config", overrides + [
        "experiment=beat2_tiny", "trainer.max_steps=3", "trainer.val_check_interval=3", "trainer.limit_val_batches=1",
        "trainer.loop.checkpoint_every_n_steps=3", "trainer.loop.batch_size=2",
        f"trainer.default_root_dir={tmp_path / 'run'}"])
    checkpoint = train(cfg).checkpoint_dir / "last.ckpt"

    out = tmp_path / "out"
    wav, grid = root / "wave16k" / "2_scott_0_3_3.wav", root / "textgrid" / "2_scott_0_3_3.TextGrid"
    assert main(["generate", "--audio", str(wav), "--transcript", str(grid), "--checkpoint", str(checkpoint),
                 "--out", str(out), "--steps", "2", "--smplx-model", str(smplx_model_folder)]) == 0
    metadata = json.loads((out / "metadata.json").read_text())
    assert {"smplx", "smplx_preview"} <= set(metadata["outputs"]) and "arkit" not in metadata["outputs"]
    assert any("no arkit output" in warning for warning in metadata["warnings"])

    motion = read_smplx_motion(out / "smplx.npz")
    assert motion.num_frames == 120 and motion.fps == 30 and motion.poses.shape == (120, 165)
    generated = smplx_joint_indices(resolve_joint_selection(["upper", "hands"]))
    at_rest = np.setdiff1d(np.arange(len(SMPLX_JOINT_NAMES)), generated)
    poses = motion.poses.reshape(120, 55, 3)
    assert np.abs(poses[:, generated]).max() > 0 and not np.any(poses[:, at_rest])
    assert np.abs(motion.expressions).max() > 0 and np.abs(motion.trans).max() > 0

    # The exported file is a BEAT2 take: the corpus reader finds and reads it unchanged.
    exported = tmp_path / "exported"
    (exported / "smplxflame_30").mkdir(parents=True)
    shutil.copy(out / "smplx.npz", exported / "smplxflame_30" / "2_scott_0_9_9.npz")
    (exported / "train_test_split.csv").write_text("id,type\n2_scott_0_9_9,test\n")
    take = discover_beat2(exported)[0]
    back = read_smplx_motion(take.files["smplx"])
    np.testing.assert_array_equal(back.poses, motion.poses)
    np.testing.assert_array_equal(back.expressions, motion.expressions)

    with av.open(str(out / "smplx_preview.mp4")) as container:
        kinds = sorted(stream.type for stream in container.streams)
        frames = sum(1 for _ in container.decode(video=0))
    assert kinds == ["audio", "video"] and frames == 120
