"""Face metrics on blendshape weight curves: MSE and LVD, over all or over the mouth channels.

* MSE — mean over frames and channels of ``(generated − ground truth)²`` (DiffSHEG's expression MSE).
* LVD — velocity error: mean over frames and channels of ``|Δgenerated − Δground truth|`` with Δ
  the frame-to-frame difference (weight units per frame), as DiffSHEG's LVD on blendshapes.

Arrays are ``(F, C)`` weights, or ``(N, F, C)`` for a batch of clips (the mean runs over all).
"""

from __future__ import annotations

import numpy as np

MOUTH_PREFIXES = ("jaw", "mouth")  # ARKit channel names of the lower face


def mouth_channels(channel_names: list[str]) -> np.ndarray:
    """Indices of the ARKit channels that move the mouth (names starting with ``jaw``/``mouth``)."""
    indices = [i for i, name in enumerate(channel_names) if name.startswith(MOUTH_PREFIXES)]
    if not indices:
        raise ValueError(f"no mouth channels (jaw*/mouth*) among {channel_names[:5]}...")
    return np.asarray(indices, dtype=np.int64)


def _pair(generated: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    generated, target = np.asarray(generated, np.float64), np.asarray(target, np.float64)
    if generated.shape != target.shape or generated.ndim not in (2, 3):
        raise ValueError(f"generated and target must be the same (F, C) or (N, F, C) shape, got "
                         f"{generated.shape} and {target.shape}")
    return generated, target


def face_mse(generated: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error of blendshape weights."""
    generated, target = _pair(generated, target)
    return float(np.mean((generated - target) ** 2))


def face_lvd(generated: np.ndarray, target: np.ndarray) -> float:
    """Mean absolute difference of the per-frame velocities (needs F >= 2)."""
    generated, target = _pair(generated, target)
    if generated.shape[-2] < 2:
        raise ValueError("LVD needs at least two frames")
    return float(np.mean(np.abs(np.diff(generated, axis=-2) - np.diff(target, axis=-2))))
