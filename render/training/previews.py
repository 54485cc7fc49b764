"""Sample frames for TensorBoard: rows of images tiled into one picture."""

from __future__ import annotations

import torch


def image_grid(rows: list[torch.Tensor]) -> torch.Tensor:
    """Rows of ``(N, 3, H, W)`` images → one ``(3, rows * H, N * W)`` image (row-major)."""
    return torch.cat([torch.cat(list(row), dim=2) for row in rows], dim=1).clamp(0, 1)
