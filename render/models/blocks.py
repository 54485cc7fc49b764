"""Convolution blocks of the keypoint renderer (PyTorch layers, group-normalised)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, channels), channels)


class ConvBlock(nn.Sequential):
    """3 x 3 convolution, group norm, SiLU; ``stride`` 2 halves the resolution."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__(nn.Conv2d(in_channels, out_channels, 3, stride, 1), _norm(out_channels), nn.SiLU())


class ResBlock(nn.Module):
    """Two 3 x 3 convolutions with a residual connection (channels unchanged)."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(_norm(channels), nn.SiLU(), nn.Conv2d(channels, channels, 3, 1, 1),
                                  _norm(channels), nn.SiLU(), nn.Conv2d(channels, channels, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class UpBlock(nn.Module):
    """Nearest-neighbour 2x up-sampling to ``size`` then a :class:`ConvBlock`."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = ConvBlock(in_channels, out_channels)

    def forward(self, x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        return self.conv(F.interpolate(x, size=size, mode="nearest"))


class Hourglass(nn.Module):
    """U-Net shaped encoder-decoder: ``(B, C_in, H, W)`` → ``(B, out_channels, H, W)``."""

    def __init__(self, in_channels: int, base_channels: int, num_blocks: int, max_channels: int = 256):
        super().__init__()
        widths = [min(base_channels * 2**i, max_channels) for i in range(num_blocks + 1)]
        self.stem = ConvBlock(in_channels, widths[0])
        self.down = nn.ModuleList(ConvBlock(widths[i], widths[i + 1], stride=2) for i in range(num_blocks))
        self.up = nn.ModuleList(UpBlock(widths[i + 1] * (1 if i == num_blocks - 1 else 2), widths[i]) for i in reversed(range(num_blocks)))
        self.out_channels = widths[0] * 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = [self.stem(x)]
        for block in self.down:
            skips.append(block(skips[-1]))
        y = skips.pop()
        for block in self.up:
            skip = skips.pop()
            y = block(y, skip.shape[-2:])
            y = torch.cat([y, skip], 1)
        return y
