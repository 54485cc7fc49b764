"""Small batched 2-D geometry shared by the renderers and the retargeting: similarity fits."""

from __future__ import annotations

import torch


def fit_similarity(source: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Least-squares 2-D similarity (scale, rotation, translation) mapping ``source`` onto ``target``.

    Closed form of Umeyama (1991) for two dimensions, batched; points with weight 0 (missing)
    are ignored, and a batch element with fewer than two weighted points gets the identity.

    Args:
        source, target: ``(B, N, 2)`` point sets (any unit; NaN allowed where ``weights`` is 0).
        weights: ``(B, N)`` non-negative weights.

    Returns:
        ``matrix`` ``(B, 2, 2)`` (scale times rotation) and ``translation`` ``(B, 2)`` such that
        ``target ≈ source @ matrix.T + translation``.
    """
    weights = torch.where(torch.isfinite(source).all(-1) & torch.isfinite(target).all(-1), weights, torch.zeros_like(weights))
    source = torch.nan_to_num(source)
    target = torch.nan_to_num(target)
    total = weights.sum(1, keepdim=True).clamp_min(1e-8)
    w = (weights / total).unsqueeze(-1)
    mean_s = (w * source).sum(1)
    mean_t = (w * target).sum(1)
    s = source - mean_s[:, None]
    t = target - mean_t[:, None]
    # For 2-D points the optimal similarity is the complex number a + ib minimising |a s - t|^2.
    dot = (w * (s * t)).sum((1, 2))
    cross = (w[..., 0] * (s[..., 0] * t[..., 1] - s[..., 1] * t[..., 0])).sum(1)
    variance = (w * s.square()).sum((1, 2)).clamp_min(1e-12)
    a = dot / variance
    b = cross / variance
    enough = (weights > 0).sum(1) >= 2
    a = torch.where(enough, a, torch.ones_like(a))
    b = torch.where(enough, b, torch.zeros_like(b))
    matrix = torch.stack([torch.stack([a, -b], -1), torch.stack([b, a], -1)], -2)
    translation = mean_t - torch.einsum("bij,bj->bi", matrix, mean_s)
    translation = torch.where(enough[:, None], translation, mean_t - mean_s)
    return matrix, translation
