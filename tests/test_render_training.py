"""`render train`: keypoint and diffusion runs on a small real video, checkpoints and exact resume."""

from __future__ import annotations

import json

import pytest
import torch

from render.config import compose
from render.training.run import train
from tests.render_helpers import cache_landmarks, moving_square_video

SIZE = (32, 32)
KEYPOINT = ["model=keypoint", "model.network.base_channels=8", "model.network.num_down=2", "model.network.num_res=1",
            "model.network.motion_channels=8", "model.network.motion_blocks=2", "model.network.motion_scale=0.5",
            "model.batch_size=2", "data.face_size=32", "model.face.network.base_channels=8", "model.face.network.num_down=2",
            "model.face.network.motion_channels=8", "model.face.network.motion_blocks=2", "data.hand_size=16",
            "model.hands.network.base_channels=8", "model.hands.network.motion_channels=8"]


@pytest.fixture()
def video(tmp_path):
    path, landmarks = moving_square_video(tmp_path / "videos")
    cache_landmarks(path, landmarks, tmp_path / "cache", *SIZE, face_size=32, hand_size=16)
    return path


def _cfg(tmp_path, video, out: str, extra: list[str]):
    return compose("train", [f"data.videos={video.parent}", f"data.cache_dir={tmp_path / 'cache'}",
                             f"data.image_size=[{SIZE[0]},{SIZE[1]}]", f"out_dir={tmp_path / out}",
                             "trainer.log_every=1", "evaluation.redetect=false", *extra])


def _weights(path):
    return torch.load(path, map_location="cpu", weights_only=False)["state_dict"]


def test_keypoint_training_resumes_exactly(tmp_path, video):
    steps = ["trainer.max_steps=4", "trainer.checkpoint_every=2", "trainer.eval_every=2"]
    summary = train(_cfg(tmp_path, video, "full", KEYPOINT + steps))
    # 24 frames: the last 5 are the contiguous split, frames 7 and 15 the interpolation split.
    assert summary["steps"] == 4 and summary["held_out_frames"] == 7
    assert {"psnr", "ssim", "baseline_psnr", "baseline_ssim", "face_psnr", "hand_psnr"} <= set(summary["held_out"])
    splits = summary["evaluation"]["splits"]
    assert splits["interpolation"]["frames"] == 2 and splits["contiguous"]["frames"] == 5
    assert set(splits["contiguous"]["frame"]) == {"renderer", "reference", "previous", "retrieval"}
    assert set(splits["contiguous"]["hand"]) == {"renderer", "reference", "previous", "retrieval"}
    assert summary["train_frames_per_second"] > 0 and summary["peak_memory_mb"] > 0
    assert json.loads((tmp_path / "full" / "summary.json").read_text())["steps"] == 4
    assert list((tmp_path / "full" / "tensorboard").glob("events.*"))
    resumed = train(_cfg(tmp_path, video, "full", KEYPOINT + steps + [f"resume={tmp_path / 'full/checkpoints/step00000002.ckpt'}",
                                                                      f"out_dir={tmp_path / 'resumed'}"]))
    assert resumed["steps"] == 4 and resumed["first_step"] == 2
    full, again = _weights(tmp_path / "full/checkpoints/last.ckpt"), _weights(tmp_path / "resumed/checkpoints/last.ckpt")
    assert all(torch.equal(full[key], again[key]) for key in full)


def test_diffusion_stage_one_then_stage_two(tmp_path, video):
    tiny = ["model=diffusion", "data.face_size=32", f"model.unet.sample_size={SIZE[0]}", "model.batch_size=2", "model.sample_steps=2",
            "model.num_frames=3", "trainer.max_steps=2", "trainer.checkpoint_every=2", "trainer.eval_every=2"]
    first = train(_cfg(tmp_path, video, "stage1", tiny))
    assert first["steps"] == 2 and 0 <= first["held_out"]["ssim"] <= 1
    stage1 = tmp_path / "stage1/checkpoints/last.ckpt"
    second = train(_cfg(tmp_path, video, "stage2", tiny + ["model.stage=2", f"model.stage1_checkpoint={stage1}"]))
    assert second["steps"] == 2
    before, after = _weights(stage1), _weights(tmp_path / "stage2/checkpoints/last.ckpt")
    assert any(".motion_modules." in key for key in after)
    assert torch.equal(before["renderer.pose_guider.embedding.conv_in.weight"], after["renderer.pose_guider.embedding.conv_in.weight"])
    assert "ema" in torch.load(tmp_path / "stage2/checkpoints/last.ckpt", map_location="cpu", weights_only=False)


@pytest.mark.slow
def test_diffusion_training_improves_held_out_samples(tmp_path, video):
    """Longer stage-1 run: sampled held-out frames (EMA weights, DDIM) get closer to the truth."""
    from render.training.diffusion_module import DiffusionModule
    from render.training.run import build_module, load_pairs

    tiny = ["model=diffusion", "data.face_size=32", f"model.unet.sample_size={SIZE[0]}", "model.batch_size=4", "model.sample_steps=10",
            "model.lr=1e-3", "model.ema_decay=0.9", "trainer.max_steps=60", "trainer.checkpoint_every=60",
            "trainer.eval_every=60"]
    cfg = _cfg(tmp_path, video, "long", tiny)
    pairs = load_pairs(cfg)
    torch.manual_seed(0)
    untrained = build_module(cfg, pairs, pairs.held_out())
    assert isinstance(untrained, DiffusionModule)
    before = untrained.evaluate_held_out()
    after = train(cfg)["held_out"]
    assert after["psnr"] > before["psnr"] + 3
    assert after["ssim"] > before["ssim"]


def test_body_only_renderer_without_the_face_path(tmp_path, video):
    from render.inference import LoadedRenderer

    body_only = [item for item in KEYPOINT if not item.startswith("model.face.")] + ["model.face=null"]
    summary = train(_cfg(tmp_path, video, "body", body_only + ["trainer.max_steps=2", "trainer.checkpoint_every=2"]))
    assert "face_psnr" not in summary["held_out"]
    renderer = LoadedRenderer(tmp_path / "body/checkpoints/last.ckpt")
    assert renderer.face_size == 0 and renderer.output_size((1280, 720)) == (32, 16)


def test_renderer_without_the_hand_path(tmp_path, video):
    from render.inference import LoadedRenderer

    no_hands = [item for item in KEYPOINT if not item.startswith("model.hands.")] + ["model.hands=null"]
    summary = train(_cfg(tmp_path, video, "nohands", no_hands + ["trainer.max_steps=1", "trainer.checkpoint_every=1"]))
    assert "hand_psnr" not in summary["held_out"] and "hand" not in summary["evaluation"]["splits"]["contiguous"]
    renderer = LoadedRenderer(tmp_path / "nohands/checkpoints/last.ckpt")
    assert renderer.module.hand_renderer is None and renderer.hand_size == 0 and renderer.face_size == 32
