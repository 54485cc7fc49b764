"""Pose guider: the drawn landmark image → features added to the denoiser's ``conv_in`` output.

The encoder is diffusers' :class:`ControlNetConditioningEmbedding` (convolutions with stride 2
down to the latent resolution, zero-initialised last convolution), so at initialisation the
denoiser is exactly the unconditioned one. The features enter through a forward hook on
``conv_in``, which works for ``UNet2DConditionModel`` and ``UNetMotionModel`` alike.
"""

from __future__ import annotations

import torch
from diffusers.models.controlnets.controlnet import ControlNetConditioningEmbedding
from torch import nn


class PoseGuider(nn.Module):
    """``(N, 3, H, W)`` conditioning images → ``(N, C, H / 2^(len(channels) - 1), ...)`` features.

    Args:
        out_channels: channels of the denoiser's ``conv_in`` output.
        channels: widths of the embedding's stages; ``len(channels) - 1`` halvings (3 for SD's
            8x latent, 0 in pixel space).
    """

    def __init__(self, out_channels: int, channels: tuple[int, ...] = (16, 32, 96, 256)):
        super().__init__()
        self.embedding = ControlNetConditioningEmbedding(out_channels, 3, tuple(channels))
        self._pending: torch.Tensor | None = None

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.embedding(images)

    def attach(self, unet) -> None:
        """Add the pending features to ``unet.conv_in``'s output on its next calls."""
        unet.conv_in.register_forward_hook(self._add_pending)

    def set_pending(self, features: torch.Tensor | None) -> None:
        """Features ``(N, C, h, w)`` to add (``N`` = the denoiser's 2-D batch), or None for none."""
        self._pending = features

    def _add_pending(self, module, inputs, output):
        if self._pending is None:
            return output
        if self._pending.shape != output.shape:
            raise ValueError(f"pose features {tuple(self._pending.shape)} do not match conv_in output {tuple(output.shape)}")
        return output + self._pending
