"""Isolated-sign classifier: the recogniser that scores generated sign clips (recognition top-1/top-5)
and whose pooled features give the Fréchet distance of sign production.

Sign-production papers score generated clips with a recogniser trained on real data (back-translation
in Saunders et al.'s Progressive Transformers; a recognition network in later text-to-sign work).
Ours is a small temporal convolution network over every motion block of the cache's declared format
(concatenated per frame), trained by motiongen on the cache's real landmark clips
(:mod:`motiongen.evaluation.sign_training`):

``(B, T, C)`` raw channels → per-channel standardisation (training statistics, stored as buffers) →
three Conv1d layers (kernel 5; dilation 1, 2, 4; GELU) → mean and max over the valid frames →
Linear → the ``feature_dim`` feature (the FD space) → GELU → Linear → ``classes`` logits.

Clips have different lengths: a batch is padded at the end and ``valid (B, T)`` says which frames are
real; convolutions see zeros (the standardised mean) on the padding, and the pooling ignores it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class SignClassifierConfig:
    """Shape of a :class:`SignClassifier`.

    Attributes:
        channels: C, input channels per frame (the widths of the declared blocks, summed).
        classes: number of sign labels.
        feature_dim: size of the pooled feature (the Fréchet-distance space).
        hidden: convolution channels.
        dropout: dropout before the classification layer (training only).
    """

    channels: int
    classes: int
    feature_dim: int = 64
    hidden: int = 128
    dropout: float = 0.1

    def __post_init__(self) -> None:
        if min(self.channels, self.classes, self.feature_dim, self.hidden) < 1 or not 0 <= self.dropout < 1:
            raise ValueError(f"invalid sign classifier shape {self}")


class SignClassifier(nn.Module):
    """Temporal conv encoder ``(B, T, C)`` → features ``(B, feature_dim)`` → logits ``(B, classes)``."""

    def __init__(self, config: SignClassifierConfig):
        super().__init__()
        self.config = config
        c, h = config.channels, config.hidden
        layers = []
        for index, dilation in enumerate((1, 2, 4)):
            layers += [nn.Conv1d(c if index == 0 else h, h, 5, padding=2 * dilation, dilation=dilation), nn.GELU()]
        self.conv = nn.Sequential(*layers)
        self.feature = nn.Linear(2 * h, config.feature_dim)
        self.head = nn.Sequential(nn.GELU(), nn.Dropout(config.dropout), nn.Linear(config.feature_dim, config.classes))
        self.register_buffer("mean", torch.zeros(c))
        self.register_buffer("std", torch.ones(c))

    def set_normalisation(self, mean: np.ndarray, std: np.ndarray) -> None:
        """Per-channel statistics ``(C,)`` of the raw training frames (std floored at 1e-4)."""
        self.mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.std.copy_(torch.as_tensor(np.maximum(std, 1e-4), dtype=torch.float32))

    def features(self, clips: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Raw clips ``(B, T, C)`` and ``valid (B, T)`` bool → pooled features ``(B, feature_dim)``."""
        if clips.ndim != 3 or clips.shape[2] != self.config.channels or valid.shape != clips.shape[:2]:
            raise ValueError(f"expected clips (B, T, {self.config.channels}) and valid (B, T), got "
                             f"{tuple(clips.shape)} and {tuple(valid.shape)}")
        weights = valid.to(clips.dtype)[..., None]
        hidden = self.conv(((clips - self.mean) / self.std * weights).transpose(1, 2)).transpose(1, 2)
        count = weights.sum(1).clamp_min(1.0)
        mean = (hidden * weights).sum(1) / count
        peak = hidden.masked_fill(~valid[..., None], float("-inf")).amax(1)
        return self.feature(torch.cat([mean, peak], dim=1))

    def forward(self, clips: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, classes)``."""
        return self.head(self.features(clips, valid))

    @torch.no_grad()
    def embed(self, clips: list[np.ndarray], batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """Features ``(N, feature_dim)`` and logits ``(N, classes)`` (float64) of raw clips
        ``[(T_i, C)]`` (eval mode)."""
        was_training = self.training
        self.eval()
        features, logits = [], []
        for start in range(0, len(clips), batch_size):
            batch, valid = pad_clips(clips[start:start + batch_size])
            feature = self.features(batch, valid)
            features.append(feature)
            logits.append(self.head(feature))
        self.train(was_training)
        if not clips:
            return np.zeros((0, self.config.feature_dim)), np.zeros((0, self.config.classes))
        return torch.cat(features).double().numpy(), torch.cat(logits).double().numpy()

    def describe(self) -> dict:
        return asdict(self.config)


def pad_clips(clips: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack clips ``[(T_i, C)]`` into ``(B, max T, C)`` float32, zero-padded at the end, and the
    ``(B, max T)`` bool mask of real frames."""
    if any(len(clip) == 0 for clip in clips):
        raise ValueError("a clip without frames cannot be classified")
    length = max(len(clip) for clip in clips)
    batch = np.zeros((len(clips), length, clips[0].shape[1]), dtype=np.float32)
    valid = np.zeros((len(clips), length), dtype=bool)
    for row, clip in enumerate(clips):
        batch[row, : len(clip)] = clip
        valid[row, : len(clip)] = True
    return torch.from_numpy(batch), torch.from_numpy(valid)
