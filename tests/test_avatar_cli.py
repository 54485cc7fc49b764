"""``motiongen avatar`` through the real CLI: a tiny motion checkpoint + a tiny renderer checkpoint
+ a real reference frame → one folder with the motion, ``avatar.mp4`` with the speech, and the
pixel lip-sync check; bad inputs stop before any motion is generated."""

from __future__ import annotations

import json

import av
import pytest

from motiongen.cli import main
from tests.render_helpers import tiny_renderer_checkpoint
from tests.test_generate_cli import speech_like, tiny_checkpoint, write_wav  # noqa: F401  (session fixture)

SLOVO = "slovo/f17a6060-6ced-4bd1-9886-8578cfbb864f.mp4"


@pytest.fixture(scope="module")
def renderer_checkpoint(tmp_path_factory):
    """A keypoint renderer (with its face path) trained for two steps on a small real video."""
    return tiny_renderer_checkpoint(tmp_path_factory.mktemp("avatar_renderer"))[0]


@pytest.fixture(scope="module")
def reference_png(sample_file, tmp_path_factory):
    from PIL import Image

    with av.open(str(sample_file(SLOVO))) as container:
        rgb = next(container.decode(video=0)).to_ndarray(format="rgb24")
    path = tmp_path_factory.mktemp("avatar_ref") / "reference.png"
    Image.fromarray(rgb).save(path)
    return path


def test_avatar_from_speech_in_one_command(tmp_path, tiny_checkpoint, renderer_checkpoint, reference_png, capsys):
    audio = write_wav(tmp_path / "speech.wav", speech_like(2.0, seed=7)[0])
    out = tmp_path / "avatar"
    assert main(["avatar", "--image", str(reference_png), "--audio", str(audio), "--checkpoint", str(tiny_checkpoint),
                 "--renderer", str(renderer_checkpoint), "--out", str(out), "--steps", "2"]) == 0
    assert {"motion.bvh", "motion.npz", "metadata.json", "avatar.mp4", "avatar_check.json"} <= {p.name for p in out.iterdir()}
    with av.open(str(out / "avatar.mp4")) as container:
        assert container.streams.audio
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert len(frames) == 60 and frames[0].shape == (64, 32, 3)      # 2 s at 30 fps, the portrait reference's aspect
    check = json.loads((out / "avatar_check.json").read_text())["check"]
    sync = check["lip_sync"]
    assert {"r_rendered_vs_jaw_open", "r_driving_vs_jaw_open", "r_rendered_vs_audio_envelope"} <= set(sync)
    assert check["redetection"]["pose"]["frames"] == 60
    assert "avatar.mp4" in capsys.readouterr().out


def test_avatar_checks_its_inputs_before_generating(tmp_path, tiny_checkpoint, renderer_checkpoint, reference_png, capsys):
    audio = write_wav(tmp_path / "speech.wav", speech_like(2.0, seed=7)[0])
    out = tmp_path / "avatar"
    common = ["--audio", str(audio), "--checkpoint", str(tiny_checkpoint), "--out", str(out)]
    assert main(["avatar", "--image", str(reference_png), "--renderer", str(tmp_path / "none.ckpt"), *common]) == 2
    assert "none.ckpt does not exist" in capsys.readouterr().err
    assert main(["avatar", "--image", str(tmp_path / "none.png"), "--renderer", str(renderer_checkpoint), *common]) == 2
    assert "none.png does not exist" in capsys.readouterr().err
    assert main(["avatar", "--image", str(reference_png), "--renderer", str(renderer_checkpoint), *common,
                 "--hands-to-camera", "-0.1"]) == 2
    assert "--hands-to-camera must be in [0, 1], got -0.1" in capsys.readouterr().err
    assert not out.exists()
