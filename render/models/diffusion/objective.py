"""Diffusion training objective and the windowed DDIM sampler of the diffusion renderer."""

from __future__ import annotations

import torch
from diffusers import DDIMScheduler, DDPMScheduler
from torch.nn import functional as F

from render.models.diffusion.renderer import DiffusionRenderer


def diffusion_loss(renderer: DiffusionRenderer, scheduler: DDPMScheduler, target: torch.Tensor, reference: torch.Tensor,
                   pose: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """MSE between the denoiser output and the noise (or velocity) target.

    Args:
        target: frames to learn, ``(B, 3, H, W)``, or ``(B, F, 3, H, W)`` with temporal modules.
        reference: ``(B, 3, H, W)`` reference images.
        pose: drawn landmarks of ``target``'s frames, same leading shape as ``target``.
    """
    tokens = renderer.remember_reference(reference)
    frames = target.shape[1] if renderer.temporal else None
    latents = renderer.encode(target.flatten(0, 1) if frames else target)
    if frames:
        latents = latents.unflatten(0, (-1, frames)).transpose(1, 2)
    batch = latents.shape[0]
    noise = torch.randn(latents.shape, generator=generator, dtype=latents.dtype)
    timesteps = torch.randint(0, scheduler.config.num_train_timesteps, (batch,), generator=generator)
    noisy = scheduler.add_noise(latents, noise, timesteps)
    goal = noise if scheduler.config.prediction_type == "epsilon" else scheduler.get_velocity(latents, noise, timesteps)
    return F.mse_loss(renderer.denoise(noisy, timesteps, pose, tokens), goal)


def window_starts(num_frames: int, window: int, overlap: int) -> list[int]:
    """First frames of overlapping windows covering ``num_frames`` (last window ends at the end)."""
    if num_frames <= window:
        return [0]
    if not 0 <= overlap < window:
        raise ValueError(f"window overlap must be in [0, {window}), got {overlap}")
    starts = list(range(0, num_frames - window + 1, window - overlap))
    if starts[-1] + window < num_frames:
        starts.append(num_frames - window)
    return starts


@torch.no_grad()
def sample_video(renderer: DiffusionRenderer, scheduler: DDIMScheduler, reference: torch.Tensor, pose: torch.Tensor,
                 steps: int, window: int = 16, overlap: int = 4, generator: torch.Generator | None = None,
                 progress=None) -> torch.Tensor:
    """Render ``pose`` ``(F, 3, H, W)`` with the look of ``reference`` ``(3, H, W)``.

    Per-frame denoisers process ``window`` frames as one batch; temporal denoisers see windows of
    ``window`` frames overlapping by ``overlap``, and at every DDIM step the predictions of the
    windows covering a frame are averaged (so windows agree where they meet).

    Returns:
        ``(F, 3, H, W)`` frames in ``[0, 1]``.
    """
    num_frames = pose.shape[0]
    tokens = renderer.remember_reference(reference[None])
    shape_2d = renderer.encode(reference[None]).shape[1:]
    latents = torch.randn((1, shape_2d[0], num_frames, *shape_2d[1:]), generator=generator)
    latents = latents * scheduler.init_noise_sigma
    scheduler.set_timesteps(steps)
    starts = window_starts(num_frames, window, overlap) if renderer.temporal else list(range(0, num_frames, window))
    for t in (progress(scheduler.timesteps) if progress else scheduler.timesteps):
        total = torch.zeros_like(latents)
        count = torch.zeros((1, 1, num_frames, 1, 1))
        for start in starts:
            stop = min(start + window, num_frames)
            chunk = latents[:, :, start:stop]
            if renderer.temporal:
                out = renderer.denoise(chunk, t.expand(1), pose[None, start:stop], tokens)
            else:
                flat = chunk[0].transpose(0, 1)
                out = renderer.denoise(flat, t.expand(flat.shape[0]), pose[start:stop],
                                       tokens.expand(flat.shape[0], -1, -1))
                out = out.transpose(0, 1)[None]
            total[:, :, start:stop] += out
            count[:, :, start:stop] += 1
        latents = scheduler.step(total / count, t, latents).prev_sample
    frames = latents[0].transpose(0, 1)
    return renderer.decode(frames)
