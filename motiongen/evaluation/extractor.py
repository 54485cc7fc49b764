"""Motion feature extractors for FGD/FD: a convolutional auto-encoder over fixed windows.

The design follows BEAT/CaMN's ``HalfEmbeddingNet`` (the FGD network of BEAT, EMAGE and DiffSHEG's
BEAT tables): a 1-D convolutional encoder over a window of frames down to a small feature vector,
trained as an auto-encoder (reconstruction of the window) on the training split; the encoder output
is the feature whose Gaussian statistics the Fréchet distance compares. The face extractor follows
SAiD's choice of an auto-encoder over blendshape windows.

Windows are given in seconds and turned into frames at the model's frame rate:

* gesture: BEAT's 34 frames at its 15 fps = 2.27 s (68 frames at 30 fps);
* face: SAiD's 120 frames at its 60 fps = 2 s (60 frames at 30 fps).

Differences from the references: our own layer sizes (below), inputs standardised per channel with
statistics of the training windows stored in the extractor, and the extractor is trained by
motiongen on the cache it evaluates (its file hash is reported with every FGD/FD, so distances from
different extractors are never compared silently).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

GESTURE_WINDOW_S = 34 / 15  # BEAT/CaMN: 34 frames at 15 fps
FACE_WINDOW_S = 120 / 60  # SAiD: 120 frames at 60 fps


@dataclass(frozen=True)
class ExtractorConfig:
    """Shape of a :class:`MotionAutoencoder`.

    Attributes:
        channels: C, input channels per frame.
        window: W, frames per window (>= 8).
        feature_dim: size of the feature vector (BEAT: 32).
        hidden: convolution channels.
    """

    channels: int
    window: int
    feature_dim: int = 32
    hidden: int = 128

    def __post_init__(self) -> None:
        if self.channels < 1 or self.window < 8 or self.feature_dim < 1 or self.hidden < 1:
            raise ValueError(f"invalid extractor shape {self}")


class MotionAutoencoder(nn.Module):
    """Conv encoder ``(B, W, C) -> (B, feature_dim)`` and a decoder back to ``(B, W, C)``.

    Encoder: Conv1d(C→h, k3) → two stride-2 Conv1d(h→h, k4) → flatten → Linear → LeakyReLU →
    Linear(→feature_dim). Decoder: Linear → LeakyReLU → Linear(→h·⌈W/4⌉) → two ConvTranspose1d
    (×2 each) → Conv1d(h→C), cropped to W frames. Inputs are standardised with the ``mean``/``std``
    buffers (per channel).
    """

    def __init__(self, config: ExtractorConfig):
        super().__init__()
        self.config = config
        c, h, w = config.channels, config.hidden, config.window
        self.reduced = -(-w // 4)  # ceil(W / 4): the decoder upsamples by 4, then crops to W
        act = nn.LeakyReLU(0.2)
        self.encoder_conv = nn.Sequential(
            nn.Conv1d(c, h, 3, padding=1), act,
            nn.Conv1d(h, h, 4, stride=2, padding=1), act,
            nn.Conv1d(h, h, 4, stride=2, padding=1), act,
        )
        conv_frames = ((w // 2) // 2)
        self.encoder_head = nn.Sequential(nn.Flatten(), nn.Linear(h * conv_frames, 256), act, nn.Linear(256, config.feature_dim))
        self.decoder_head = nn.Sequential(nn.Linear(config.feature_dim, 256), act, nn.Linear(256, h * self.reduced), act)
        self.decoder_conv = nn.Sequential(
            nn.ConvTranspose1d(h, h, 4, stride=2, padding=1), act,
            nn.ConvTranspose1d(h, h, 4, stride=2, padding=1), act,
            nn.Conv1d(h, c, 3, padding=1),
        )
        self.register_buffer("mean", torch.zeros(c))
        self.register_buffer("std", torch.ones(c))

    def set_normalisation(self, mean: np.ndarray, std: np.ndarray) -> None:
        """Per-channel statistics ``(C,)`` of the raw windows (std floored at 1e-4)."""
        self.mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.std.copy_(torch.as_tensor(np.maximum(std, 1e-4), dtype=torch.float32))

    def standardise(self, windows: torch.Tensor) -> torch.Tensor:
        return (windows - self.mean) / self.std

    def encode(self, windows: torch.Tensor) -> torch.Tensor:
        """Raw windows ``(B, W, C)`` → features ``(B, feature_dim)``."""
        if windows.shape[1:] != (self.config.window, self.config.channels):
            raise ValueError(f"windows must be (B, {self.config.window}, {self.config.channels}), got {tuple(windows.shape)}")
        return self.encoder_head(self.encoder_conv(self.standardise(windows).transpose(1, 2)))

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        """Features ``(B, feature_dim)`` → standardised windows ``(B, W, C)``."""
        hidden = self.decoder_head(features).view(features.shape[0], self.config.hidden, self.reduced)
        return self.decoder_conv(hidden)[:, :, : self.config.window].transpose(1, 2)

    def reconstruction_loss(self, windows: torch.Tensor) -> torch.Tensor:
        """Mean L1 error of the reconstruction, in standardised units."""
        return (self.decode(self.encode(windows)) - self.standardise(windows)).abs().mean()

    @torch.no_grad()
    def features(self, windows: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """Features ``(N, feature_dim)`` float64 of raw windows ``(N, W, C)``."""
        was_training = self.training
        self.eval()
        out = [self.encode(torch.as_tensor(np.ascontiguousarray(windows[i:i + batch_size]), dtype=torch.float32))
               for i in range(0, len(windows), batch_size)]
        self.train(was_training)
        if not out:
            return np.zeros((0, self.config.feature_dim))
        return torch.cat(out).double().numpy()

    def describe(self) -> dict:
        return asdict(self.config)
