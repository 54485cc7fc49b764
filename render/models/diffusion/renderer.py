"""The diffusion renderer: denoiser + ReferenceNet + pose guider + reference tokens (+ autoencoder).

Shapes: images are ``[0, 1]`` tensors ``(N, 3, H, W)``; latents ``(N, C, h, w)`` for the
per-frame denoiser and ``(B, C, F, h, w)`` once temporal modules are added (stage 2). In pixel
space (``autoencoder=None``) the latent is the image scaled to ``[-1, 1]``.
"""

from __future__ import annotations

import torch
from diffusers import UNet2DConditionModel, UNetMotionModel
from torch import nn

from render.models.diffusion.pose_guider import PoseGuider
from render.models.diffusion.reference_attention import ReferenceBank, install_reference_processors


class ImageTokens(nn.Module):
    """Reference image → ``(N, L, D)`` cross-attention tokens (patch embedding + layer norm).

    Stands where Animate Anyone puts CLIP image embeddings when no CLIP weights are used
    (``tiny``/``small``); ``sd15`` uses :class:`ClipImageTokens` instead.
    """

    def __init__(self, dim: int, patch: int, grid: int = 4):
        super().__init__()
        self.grid = grid
        self.embed = nn.Conv2d(3, dim, patch, patch)
        self.norm = nn.LayerNorm(dim)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        pooled = nn.functional.adaptive_avg_pool2d(self.embed(images * 2 - 1), self.grid)
        return self.norm(pooled.flatten(2).transpose(1, 2))


class ClipImageTokens(nn.Module):
    """Reference image → one CLIP image embedding token ``(N, 1, D)`` (``sd15``)."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder
        size = encoder.config.image_size
        self.size = (size, size)
        self.register_buffer("mean", torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        pixels = nn.functional.interpolate(images, size=self.size, mode="bicubic", align_corners=False, antialias=True)
        return self.encoder(pixel_values=(pixels - self.mean) / self.std).image_embeds[:, None]


class DiffusionRenderer(nn.Module):
    """Reference-conditioned, pose-guided denoiser.

    Args:
        denoiser: ``UNet2DConditionModel`` predicting noise/velocity of the target latent.
        reference_net: a ``UNet2DConditionModel`` of the same layout run on the reference latent.
        pose_guider: features of the drawn landmarks added after ``denoiser.conv_in``.
        tokens: reference image → cross-attention tokens.
        autoencoder: ``AutoencoderKL``/``AutoencoderTiny`` (frozen) or None for pixel space.
        latent_scale: multiplier of the autoencoder's latents (SD 1.5: 0.18215).
    """

    def __init__(self, denoiser: UNet2DConditionModel, reference_net: UNet2DConditionModel, pose_guider: PoseGuider,
                 tokens: nn.Module, autoencoder: nn.Module | None = None, latent_scale: float = 1.0):
        super().__init__()
        self.denoiser = denoiser
        self.reference_net = reference_net
        self.pose_guider = pose_guider
        self.tokens = tokens
        self.autoencoder = autoencoder
        if autoencoder is not None:
            autoencoder.requires_grad_(False)
        self.latent_scale = latent_scale
        self.bank = ReferenceBank()
        self._wire()

    def _wire(self) -> None:
        install_reference_processors(self.reference_net, self.denoiser, self.bank)
        self.pose_guider.attach(self.denoiser)

    @property
    def temporal(self) -> bool:
        return isinstance(self.denoiser, UNetMotionModel)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` in ``[0, 1]`` → latents ``(N, C, h, w)``."""
        if self.autoencoder is None:
            return images * 2 - 1
        with torch.no_grad():
            encoded = self.autoencoder.encode(images * 2 - 1)
        latents = encoded.latents if hasattr(encoded, "latents") else encoded.latent_dist.mode()
        return latents * self.latent_scale

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Latents ``(N, C, h, w)`` → images in ``[0, 1]``."""
        if self.autoencoder is None:
            images = latents
        else:
            with torch.no_grad():
                images = self.autoencoder.decode(latents / self.latent_scale).sample
        return ((images + 1) / 2).clamp(0, 1)

    def remember_reference(self, reference: torch.Tensor) -> torch.Tensor:
        """Run the ReferenceNet on ``reference`` ``(B, 3, H, W)`` at timestep 0; fills the bank.

        Returns the cross-attention tokens ``(B, L, D)`` used by both networks.
        """
        tokens = self.tokens(reference)
        self.bank.clear()
        timestep = torch.zeros(reference.shape[0], dtype=torch.long, device=reference.device)
        self.reference_net(self.encode(reference), timestep, encoder_hidden_states=tokens)
        return tokens

    def denoise(self, noisy: torch.Tensor, timesteps: torch.Tensor, pose: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Model output for ``noisy`` latents given the drawn landmarks ``pose``.

        Args:
            noisy: ``(B, C, h, w)``, or ``(B, C, F, h, w)`` with temporal modules.
            timesteps: ``(B,)``.
            pose: ``(B, 3, H, W)``, or ``(B, F, 3, H, W)`` with temporal modules.
            tokens: ``(B, L, D)`` from :meth:`remember_reference` (the bank must be filled).
        """
        if self.temporal:
            # UNetMotionModel runs its spatial layers on B * F frames (frames inner) and expects
            # the cross-attention tokens per frame.
            tokens = tokens.repeat_interleave(noisy.shape[2], 0)
            pose = pose.flatten(0, 1)
        self.pose_guider.set_pending(self.pose_guider(pose))
        try:
            return self.denoiser(noisy, timesteps, encoder_hidden_states=tokens).sample
        finally:
            self.pose_guider.set_pending(None)

    def add_temporal_modules(self, adapter) -> None:
        """Stage 2: turn the denoiser into a ``UNetMotionModel`` with ``adapter``'s temporal modules
        and freeze everything except those modules."""
        if self.temporal:
            raise ValueError("the denoiser already has temporal modules")
        self.denoiser = UNetMotionModel.from_unet2d(self.denoiser, adapter)
        self._wire()
        self.requires_grad_(False)
        self.denoiser.freeze_unet2d_params()

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]
