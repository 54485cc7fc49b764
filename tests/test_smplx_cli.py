"""``motiongen smplx convert`` (BEAT BVH -> BEAT2 npz) and ``motiongen smplx preview``."""

from __future__ import annotations

import numpy as np

from motiongen.cli import main
from motiongen.formats.smplx_motion import read_smplx_motion


def test_convert_real_bvh_then_preview(sample_file, tmp_path, smplx_model_folder, capsys):
    bvh = sample_file("beat/2_scott_0_1_1.bvh")
    out = tmp_path / "scott.npz"
    assert main(["smplx", "convert", str(bvh), "--allow-truncated", "--out", str(out)]) == 0
    motion = read_smplx_motion(out)
    assert motion.fps == 30 and motion.num_frames == 240  # 957 frames at 120 fps
    assert np.abs(motion.poses).max() > 0.1 and not np.any(motion.expressions)
    short = tmp_path / "short.npz"
    np.savez(short, **{k: (v[:6] if v.ndim == 2 else v) for k, v in np.load(out).items()})
    assert main(["smplx", "preview", str(short), "--smplx-model", str(smplx_model_folder)]) == 0
    assert (tmp_path / "short.mp4").stat().st_size > 0
    assert main(["smplx", "preview", str(short), "--out", str(tmp_path / "skeleton.mp4")]) == 0
    assert "no SMPL-X model folder given" in capsys.readouterr().out


def test_convert_reports_a_missing_file(tmp_path, capsys):
    assert main(["smplx", "convert", str(tmp_path / "none.bvh"), "--out", str(tmp_path / "x.npz")]) == 2
    assert "none.bvh" in capsys.readouterr().err


def test_convert_a_truncated_bvh_names_the_command_line_flag(tmp_path, capsys):
    """The error speaks the interface the user is in: the flag, not the Python argument."""
    from feature_cache_helpers import write_synthetic_bvh

    bvh = tmp_path / "cut.bvh"
    write_synthetic_bvh(bvh, seconds=0.5)
    lines = bvh.read_text().splitlines()
    bvh.write_text("\n".join(lines[:-10]) + "\n")  # 60 frames declared, 50 rows follow
    out = tmp_path / "cut.npz"
    assert main(["smplx", "convert", str(bvh), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Frames: 60 but only 50 complete frame rows" in err
    assert err.endswith("pass --allow-truncated to convert the complete rows") and "allow_truncated=True" not in err
    assert not out.exists()
    assert main(["smplx", "convert", str(bvh), "--allow-truncated", "--out", str(out)]) == 0
    assert read_smplx_motion(out).num_frames == 13  # 50 frames at 120 fps -> 30 fps
