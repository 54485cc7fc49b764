"""Wiring of the diffusion renderer (diffusers blocks): pose guider, ReferenceNet, stages, loss, sampling."""

from __future__ import annotations

import pytest
import torch
from omegaconf import OmegaConf

from render.config import compose
from render.errors import RenderError
from render.models.diffusion.build import build_motion_adapter, build_renderer, build_schedulers
from render.models.diffusion.objective import diffusion_loss, sample_video, window_starts

SIZE = 16


@pytest.fixture()
def cfg():
    model = compose("train", ["model=diffusion", f"model.unet.sample_size={SIZE}"]).model
    return OmegaConf.to_container(model, resolve=True)


@pytest.fixture()
def renderer(cfg):
    torch.manual_seed(0)
    return build_renderer(cfg)


def _images(count: int, seed: int) -> torch.Tensor:
    return torch.rand(count, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(seed))


def test_zero_initialised_pose_guider_leaves_the_output_unchanged(renderer):
    tokens = renderer.remember_reference(_images(2, 0))
    noisy, timesteps = torch.randn(2, 3, SIZE, SIZE), torch.tensor([10, 700])
    with torch.no_grad():
        with_pose = renderer.denoise(noisy, timesteps, _images(2, 1), tokens)
        other_pose = renderer.denoise(noisy, timesteps, _images(2, 2), tokens)
        no_pose = renderer.denoiser(noisy, timesteps, encoder_hidden_states=tokens).sample
    assert torch.equal(with_pose, other_pose)
    assert torch.equal(with_pose, no_pose)


def test_changing_the_reference_image_changes_the_output(renderer):
    noisy, timesteps, pose = torch.randn(2, 3, SIZE, SIZE), torch.tensor([10, 700]), _images(2, 1)
    with torch.no_grad():
        first = renderer.denoise(noisy, timesteps, pose, renderer.remember_reference(_images(2, 0)))
        same = renderer.denoise(noisy, timesteps, pose, renderer.remember_reference(_images(2, 0)))
        second = renderer.denoise(noisy, timesteps, pose, renderer.remember_reference(_images(2, 5)))
    assert torch.equal(first, same)
    assert (first - second).abs().max() > 1e-3


def test_reference_attention_reaches_every_spatial_self_attention_layer(renderer):
    renderer.remember_reference(_images(1, 0))
    names = [name for name in renderer.denoiser.attn_processors if name.endswith("attn1.processor")]
    assert sorted(renderer.bank.tokens) == sorted(names) and names


def test_stage_two_trains_only_the_temporal_modules(cfg, renderer):
    ddpm, _ = build_schedulers(cfg)
    renderer.add_temporal_modules(build_motion_adapter(cfg, renderer))
    frames = 3
    target = torch.rand(2, frames, 3, SIZE, SIZE)
    loss = diffusion_loss(renderer, ddpm, target, _images(2, 0), torch.rand_like(target), torch.Generator().manual_seed(0))
    loss.backward()
    with_grad = [name for name, p in renderer.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0]
    assert with_grad and all(".motion_modules." in name for name in with_grad)
    assert not any(p.requires_grad for name, p in renderer.named_parameters() if ".motion_modules." not in name)


def test_loss_on_a_fixed_batch_falls(cfg, renderer):
    ddpm, _ = build_schedulers(cfg)
    optimiser = torch.optim.AdamW(renderer.trainable_parameters(), lr=1e-3)
    target, reference, pose = _images(4, 1), _images(4, 2), _images(4, 3)
    losses = []
    for _ in range(12):
        loss = diffusion_loss(renderer, ddpm, target, reference, pose, torch.Generator().manual_seed(0))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert sum(losses[-3:]) < 0.6 * sum(losses[:3]), losses


def test_zero_terminal_snr_schedule_ends_at_pure_noise(cfg):
    ddpm, ddim = build_schedulers(cfg)
    assert ddpm.alphas_cumprod[-1] == 0
    assert ddim.config.prediction_type == "v_prediction"


def test_windows_cover_every_frame_with_overlap():
    assert window_starts(40, 16, 4) == [0, 12, 24]
    assert window_starts(10, 16, 4) == [0]
    starts = window_starts(45, 16, 4)
    assert starts[-1] + 16 == 45 and all(b - a <= 12 for a, b in zip(starts, starts[1:]))


def test_windowed_temporal_sampling_renders_every_frame(cfg, renderer):
    _, ddim = build_schedulers(cfg)
    renderer.add_temporal_modules(build_motion_adapter(cfg, renderer))
    video = sample_video(renderer, ddim, _images(1, 0)[0], torch.rand(7, 3, SIZE, SIZE), steps=2, window=4, overlap=2,
                         generator=torch.Generator().manual_seed(0))
    assert video.shape == (7, 3, SIZE, SIZE)
    assert video.min() >= 0 and video.max() <= 1


def test_sd15_without_a_weights_folder_is_a_clear_error(tmp_path, cfg):
    cfg = dict(cfg, variant="sd15", weights=str(tmp_path / "missing"))
    with pytest.raises(RenderError, match="missing.*does not exist"):
        build_renderer(cfg)
    (tmp_path / "partial" / "unet").mkdir(parents=True)
    (tmp_path / "partial" / "unet" / "config.json").write_text("{}")
    with pytest.raises(RenderError, match="vae/config.json"):
        build_renderer(dict(cfg, weights=str(tmp_path / "partial")))


def test_sd15_loads_a_local_folder_in_the_diffusers_layout(tmp_path, cfg, renderer):
    """The real loading code on a small folder written here (same layout as SD 1.5 + CLIP + AnimateDiff)."""
    from diffusers import AutoencoderKL
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    folder = tmp_path / "sd15"
    unet = renderer.denoiser
    small = type(unet)(**{**dict(unet.config), "in_channels": 4, "out_channels": 4})
    small.save_pretrained(folder / "unet")
    AutoencoderKL(block_out_channels=(8,), norm_num_groups=8, latent_channels=4).save_pretrained(folder / "vae")
    clip = CLIPVisionModelWithProjection(CLIPVisionConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                                          num_attention_heads=2, image_size=32, patch_size=16,
                                                          projection_dim=cfg["unet"]["cross_attention_dim"]))
    clip.save_pretrained(folder / "image_encoder")
    build_motion_adapter(cfg, renderer).save_pretrained(folder / "motion_adapter")
    sd15 = build_renderer(dict(cfg, variant="sd15", weights=str(folder), pose_guider_channels=[16]))
    tokens = sd15.remember_reference(_images(1, 0))
    assert tokens.shape == (1, 1, cfg["unet"]["cross_attention_dim"])
    latents = sd15.encode(_images(1, 0))
    out = sd15.denoise(latents, torch.tensor([3]), _images(1, 1), tokens)
    assert out.shape == latents.shape
    sd15.add_temporal_modules(build_motion_adapter(dict(cfg, variant="sd15", weights=str(folder)), sd15))
    assert sd15.temporal
