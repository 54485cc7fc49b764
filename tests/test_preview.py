"""Preview MP4 (H.264 + AAC via PyAV) and the blendshape curve plot."""

from __future__ import annotations

import av
import numpy as np
import pytest

from motiongen.export.preview import face_geometry, plot_face_curves, project_skeleton, write_preview
from motiongen.formats.arkit import ARKIT_NAMES
from motiongen.skeletons import load_beat75_template

FPS = 30.0
FRAMES = 75  # 2.5 s


def _motion(frames: int):
    template = load_beat75_template()
    skeleton = template.skeleton
    time = np.arange(frames) / FPS
    euler = np.repeat(template.euler_deg, frames, axis=0)
    arm = skeleton.names.index("RightArm")
    euler[:, arm, 2] += 40 * np.sin(2 * np.pi * time)
    root = np.repeat(template.root_translation, frames, axis=0)
    weights = np.zeros((frames, len(ARKIT_NAMES)), np.float32)
    weights[:, ARKIT_NAMES.index("jawOpen")] = 0.5 + 0.5 * np.sin(2 * np.pi * 2 * time)
    weights[:, ARKIT_NAMES.index("eyeBlinkLeft")] = (time % 1.0) < 0.1
    return skeleton, euler, root, weights


@pytest.mark.parametrize("sample_rate", [16000, 22050, 12345])
def test_mp4_decodes_with_h264_video_and_aac_audio(tmp_path, sample_rate):
    skeleton, euler, root, weights = _motion(FRAMES)
    wave = 0.2 * np.sin(2 * np.pi * 200 * np.arange(int(3.0 * sample_rate)) / sample_rate)  # longer: cut
    result = write_preview(tmp_path / "preview.mp4", skeleton, euler, root, weights, FPS, audio=(wave, sample_rate))
    assert result.num_frames == FRAMES and result.audio_seconds == pytest.approx(FRAMES / FPS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preview.mp4"]  # no partial file left
    with av.open(str(result.path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264"
        assert video.average_rate == FPS
        assert (video.width, video.height) == (960, 480)
        assert audio.codec_context.name == "aac"
        audio_seconds = float(audio.duration * audio.time_base)
        decoded = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert len(decoded) == FRAMES
    assert audio_seconds == pytest.approx(FRAMES / FPS, abs=0.1)
    # the face panel changes with jawOpen: frames at closed and open jaw differ
    assert np.abs(decoded[0][:, 480:].astype(int) - decoded[7][:, 480:].astype(int)).mean() > 0.5


def test_mp4_without_audio_has_only_video(tmp_path):
    skeleton, euler, root, weights = _motion(10)
    result = write_preview(tmp_path / "silent.mp4", skeleton, euler, root, weights, FPS)
    with av.open(str(result.path)) as container:
        assert len(container.streams.audio) == 0 and container.streams.video[0].frames == 10


def test_shape_mismatch_is_rejected_and_leaves_nothing(tmp_path):
    skeleton, euler, root, weights = _motion(10)
    with pytest.raises(ValueError, match="face_weights"):
        write_preview(tmp_path / "bad.mp4", skeleton, euler, root, weights[:5], FPS)
    assert not any(tmp_path.iterdir())


def test_face_follows_blendshapes():
    weights = np.zeros((3, 52), np.float32)
    weights[1, ARKIT_NAMES.index("jawOpen")] = 1.0
    weights[2, ARKIT_NAMES.index("eyeBlinkRight")] = 1.0
    weights[2, ARKIT_NAMES.index("mouthPucker")] = 1.0
    g = face_geometry(weights)
    gap = (g.lower_lip - g.upper_lip)[:, :, 1].max(axis=1)
    assert gap[1] > gap[0] + 30  # jaw open opens the lips
    assert g.chin[1] > g.chin[0]
    assert g.eye_open[2, 0] == 0 and g.eye_open[2, 1] > 0  # right eye shut, left open
    width = g.upper_lip[:, -1, 0] - g.upper_lip[:, 0, 0]
    assert width[2] < 0.7 * width[0]  # pucker narrows the mouth


def test_projection_fits_the_panel():
    skeleton, euler, root, _ = _motion(20)
    from motiongen.core.kinematics import local_rotation_matrices
    from motiongen.core.kinematics import forward_kinematics

    screen = project_skeleton(forward_kinematics(skeleton, local_rotation_matrices(skeleton, euler), root))
    assert screen.min() >= 0 and screen.max() <= 480
    head, toe = skeleton.names.index("Head"), skeleton.names.index("LeftToeBaseEnd")
    assert np.all(screen[:, head, 1] < screen[:, toe, 1])  # head above the feet on screen


def test_curve_plot_is_a_png(tmp_path):
    _, _, _, weights = _motion(60)
    path = plot_face_curves(tmp_path / "curves.png", weights, FPS, envelope=np.linspace(0, 1, 60))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
