"""`render animate` / `render evaluate`: real checkpoint, real reference frame, MP4 with speech, bad inputs."""

from __future__ import annotations

import json

import av
import numpy as np
import pytest
import soundfile

from motiongen.formats.arkit import ARKIT_NAMES
from render.cli import main
from render.evaluate import evaluate
from tests.render_helpers import cache_landmarks, generation_folder, moving_square_video, tiny_renderer_checkpoint

SLOVO = "slovo/f17a6060-6ced-4bd1-9886-8578cfbb864f.mp4"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A keypoint renderer trained for two steps on a small real video (32 x 32 frames)."""
    return tiny_renderer_checkpoint(tmp_path_factory.mktemp("render_ckpt"))


@pytest.fixture(scope="module")
def reference_frame(sample_file, tmp_path_factory):
    """Frame 0 of the Slovo sample as a PNG."""
    from PIL import Image

    with av.open(str(sample_file(SLOVO))) as container:
        rgb = next(container.decode(video=0)).to_ndarray(format="rgb24")
    path = tmp_path_factory.mktemp("render_ref") / "reference.png"
    Image.fromarray(rgb).save(path)
    return path


def _speech(path, seconds: float = 1.0, rate: int = 16000):
    t = np.arange(int(seconds * rate)) / rate
    soundfile.write(path, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)
    return path


def test_animate_writes_an_mp4_with_the_speech(tmp_path, checkpoint, reference_frame):
    weights = np.zeros((12, len(ARKIT_NAMES)))
    weights[:, ARKIT_NAMES.index("jawOpen")] = np.linspace(0, 1, 12)
    motion = generation_folder(tmp_path / "gen", frames=12, weights=weights)
    out = tmp_path / "avatar.mp4"
    code = main(["animate", "--image", str(reference_frame), "--motion", str(motion), "--checkpoint", str(checkpoint[0]),
                 "--audio", str(_speech(tmp_path / "speech.wav")), "--out", str(out), "--report", str(tmp_path / "check.json")])
    assert code == 0
    with av.open(str(out)) as container:
        assert container.streams.audio and container.streams.audio[0].codec_context.name == "aac"
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    # The reference is 720 x 1280 portrait: the 32 x 32 renderer renders 32 x 16 bodies (its long
    # side, the reference's aspect), up-sampled x 2 with the face path blended in.
    assert len(frames) == 12 and frames[0].shape == (64, 32, 3)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    report = json.loads((tmp_path / "check.json").read_text())
    assert report["hands_to_camera"] == 1.0
    check = report["check"]
    assert set(check["redetection"]) == {"pose", "face", "left_hand", "right_hand"}
    # The driving landmarks open the mouth with jawOpen (the retargeting works), whatever the
    # two-step renderer draws.
    assert check["lip_sync"]["r_driving_vs_jaw_open"] > 0.9
    assert "r_rendered_vs_jaw_open" in check["lip_sync"] and "r_rendered_vs_audio_envelope" in check["lip_sync"]
    hands = check["driving_hands"]
    assert hands["right_hand"]["present"] == 1 and hands["right_hand"]["length_px"] > 0


def test_the_skeleton_check_runs_mediapipe_on_the_drawn_driving_landmarks(tmp_path, reference_frame):
    from PIL import Image

    from render.animate import load_driving_landmarks, reference_landmarks, skeleton_check

    weights = np.zeros((6, len(ARKIT_NAMES)))
    weights[:, ARKIT_NAMES.index("jawOpen")] = np.linspace(0, 1, 6)
    rgb = np.asarray(Image.open(reference_frame).convert("RGB"))
    driving, fps, _, jaw_open = load_driving_landmarks(generation_folder(tmp_path / "gen", frames=6, weights=weights),
                                                       reference_landmarks(rgb, "reference"), *rgb.shape[:2])
    check = skeleton_check(driving, (128, 72), fps, jaw_open)
    assert check["redetection"]["pose"]["frames"] == 6 and 0 <= check["redetection"]["pose"]["found"] <= 1
    assert check["lip_sync"]["r_driving_vs_jaw_open"] > 0.9
    assert check["driving_hands"]["left_hand"]["inside"] == 1


def test_reference_without_a_person_writes_nothing(tmp_path, checkpoint, capsys):
    from PIL import Image

    blank = tmp_path / "wall.png"
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(blank)
    out = tmp_path / "avatar.mp4"
    code = main(["animate", "--image", str(blank), "--motion", str(generation_folder(tmp_path / "gen")),
                 "--checkpoint", str(checkpoint[0]), "--out", str(out)])
    assert code == 2
    assert "no person found in the reference image" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gen", "wall.png"]


def test_motion_without_the_face_block_writes_nothing(tmp_path, checkpoint, reference_frame, capsys):
    motion = generation_folder(tmp_path / "gen")
    np.savez(motion / "motion.npz", out_fps=np.float64(30))
    out = tmp_path / "avatar.mp4"
    assert main(["animate", "--image", str(reference_frame), "--motion", str(motion), "--checkpoint", str(checkpoint[0]),
                 "--out", str(out)]) == 2
    assert "not a motiongen motion file" in capsys.readouterr().err
    assert not out.exists()


def test_existing_output_and_missing_checkpoint_are_refused(tmp_path, checkpoint, capsys):
    out = tmp_path / "avatar.mp4"
    out.write_bytes(b"keep me")
    args = ["animate", "--image", "x.png", "--motion", str(generation_folder(tmp_path / "gen")), "--out", str(out)]
    assert main(args + ["--checkpoint", str(checkpoint[0])]) == 2
    assert out.read_bytes() == b"keep me"
    assert main(args[:-1] + [str(tmp_path / "new.mp4"), "--checkpoint", str(tmp_path / "none.ckpt")]) == 2
    assert "none.ckpt does not exist" in capsys.readouterr().err
    assert main(args[:-1] + [str(tmp_path / "new.mp4"), "--checkpoint", str(checkpoint[0]), "--hands-to-camera", "1.5"]) == 2
    assert "--hands-to-camera must be in [0, 1], got 1.5" in capsys.readouterr().err
    assert main(args[:-1] + [str(tmp_path / "new.mp4"), "--checkpoint", str(checkpoint[0]),
                             "--hand-exemplars", str(tmp_path / "none.mp4")]) == 2
    assert "none.mp4 does not exist" in capsys.readouterr().err
    assert not (tmp_path / "new.mp4").exists()


def test_evaluate_scores_both_splits_against_the_baselines(checkpoint):
    ckpt, video, cache = checkpoint
    scores = evaluate(ckpt, video, holdout_every=8, holdout_tail=0.2, cache_dir=cache)
    video_scores = scores["videos"]["square"]
    assert video_scores["interpolation"]["frames"] == 2 and video_scores["contiguous"]["frames"] == 5
    for split in ("interpolation", "contiguous"):
        for region in ("frame", "face", "hand"):
            assert set(scores["splits"][split][region]) == {"renderer", "reference", "previous", "retrieval"}
            assert {"psnr", "ssim", "l1"} <= set(scores["splits"][split][region]["renderer"])
        assert "flicker" in scores["splits"][split]["frame"]["retrieval"]


def test_evaluate_scores_the_renderer_on_the_training_frames_beside_the_interpolation_targets(checkpoint):
    ckpt, video, cache = checkpoint
    scores = evaluate(ckpt, video, holdout_every=3, holdout_tail=0.2, cache_dir=cache)["splits"]
    # 24 frames: targets 2, 5, ..., 17 before the 5-frame tail; frames 1, 4, ..., 16 are training frames.
    assert set(scores["interpolation"]["frame"]) == {"renderer", "seen", "reference", "previous", "retrieval"}
    seen = scores["interpolation"]["frame"]["seen"]
    assert {"psnr", "ssim", "l1"} <= set(seen) and "flicker" not in seen
    assert "seen" not in scores["contiguous"]["frame"]          # only the last training frame precedes the tail


def test_speech_defaults_to_the_generation_folders_preview_track(tmp_path, checkpoint, reference_frame):
    from render.video_io import write_mp4

    motion = generation_folder(tmp_path / "gen", frames=6)
    wave = (0.2 * np.sin(np.arange(8000) / 10)).astype(np.float32)
    write_mp4(motion / "preview.mp4", np.zeros((6, 16, 16, 3), np.uint8), 30, (wave, 16000))
    out = tmp_path / "avatar.mp4"
    assert main(["animate", "--image", str(reference_frame), "--motion", str(motion), "--checkpoint", str(checkpoint[0]),
                 "--out", str(out)]) == 0
    with av.open(str(out)) as container:
        assert container.streams.audio


def test_evaluate_command_writes_lpips_and_both_splits(tmp_path, checkpoint, capsys):
    import json

    import torch

    from render.lpips import alexnet_features

    ckpt, video, cache = checkpoint
    weights = tmp_path / "alexnet.pth"
    torch.save({f"features.{key}": value for key, value in alexnet_features().state_dict().items()}, weights)
    out = tmp_path / "scores.json"
    assert main(["evaluate", "--checkpoint", str(ckpt), "--videos", str(video), "--cache-dir", str(cache),
                 "--holdout-tail", "0.25", "--lpips-weights", str(weights), "--json", str(out)]) == 0
    scores = json.loads(out.read_text())["splits"]
    assert scores["contiguous"]["frames"] == 6 and "lpips" in scores["contiguous"]["frame"]["retrieval"]
    assert "lpips" not in scores["contiguous"]["hand"]["renderer"]       # 16-pixel hand crops: too small for AlexNet
    assert "contiguous    frame  renderer" in capsys.readouterr().out
    assert main(["evaluate", "--checkpoint", str(ckpt), "--videos", str(video), "--cache-dir", str(cache),
                 "--lpips-weights", str(tmp_path / "none.pth")]) == 2


def test_evaluate_correlates_the_lip_gap_with_the_videos_speech(tmp_path, checkpoint):
    from render.evaluate import speech_envelope
    from render.video_io import write_mp4

    ckpt, video, cache = checkpoint
    with av.open(str(video)) as container:
        frames = np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)])
    wave = (0.3 * np.sin(np.arange(16000) / 5) * (np.arange(16000) > 8000)).astype(np.float32)
    talking = write_mp4(tmp_path / "talking.mp4", frames, 30, (wave, 16000))
    envelope = speech_envelope(talking, len(frames))
    assert envelope.shape == (24,) and envelope[:7].max() < 0.01 < envelope[-5:].min()
    assert speech_envelope(video, len(frames)) is None
    _, landmarks = moving_square_video(tmp_path / "unused")
    cache_landmarks(talking, landmarks, tmp_path / "cache", 32, 32, face_size=32, hand_size=16)
    scores = evaluate(ckpt, talking, cache_dir=tmp_path / "cache", redetect=True)
    assert {"r_rendered_vs_audio_envelope", "r_driving_vs_audio_envelope"} <= set(scores["splits"]["contiguous"]["lip_sync"])


def test_hand_exemplars_from_a_video_of_the_person_are_pasted_on_every_driving_hand(tmp_path, checkpoint, reference_frame,
                                                                                     sample_file, capsys):
    from motiongen.formats.video import read_video_frames
    from render.video_io import write_mp4

    clip = tmp_path / "person.mp4"
    write_mp4(clip, read_video_frames(sample_file(SLOVO), max_frames=48)[::4], 7.5)   # both hands in view by frame 40
    motion = generation_folder(tmp_path / "gen", frames=12)
    plain, pasted = tmp_path / "plain.mp4", tmp_path / "pasted.mp4"
    common = ["animate", "--image", str(reference_frame), "--motion", str(motion), "--checkpoint", str(checkpoint[0]),
              "--audio", str(_speech(tmp_path / "speech.wav"))]
    assert main(common + ["--out", str(plain)]) == 0
    assert main(common + ["--out", str(pasted), "--hand-exemplars", str(clip), "--report", str(tmp_path / "check.json")]) == 0
    written = json.loads((tmp_path / "check.json").read_text())
    hands = written["check"]["hands_solution"]
    assert set(hands) == {"left_hand", "right_hand"} and all(hands[hand]["frames"] == 12 for hand in hands)
    printed = capsys.readouterr().out
    assert "by the Hands solution" in printed and "found by MediaPipe on" in printed
    report = written["hand_exemplars"]
    assert report["source"] == str(clip) and report["video_frames"] == 12 and min(report["kept"].values()) >= 1
    assert all(report["kept"][hand] <= report["found_in_video"][hand] <= 12 for hand in report["kept"])
    assert report["frames_pasted"] == {"left_hand": 12, "right_hand": 12}
    assert all(1 <= used <= 12 for used in report["exemplars_used"].values())
    with av.open(str(plain)) as a, av.open(str(pasted)) as b:
        first = [next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int) for container in (a, b)]
    assert np.abs(first[0] - first[1]).max() > 50                        # real hand pixels replaced the rendered ones
