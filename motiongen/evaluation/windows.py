"""Fixed-length windows over frame sequences, as strided views (no per-window copies)."""

from __future__ import annotations

import numpy as np


def sliding_windows(sequence: np.ndarray, window: int, stride: int) -> np.ndarray:
    """Windows ``(N, window, C)`` of ``sequence (T, C)`` starting every ``stride`` frames
    (``N = (T - window) // stride + 1``; a shorter tail is left out, an empty result when T < window).

    A read-only strided view of ``sequence``; copy it before writing.
    """
    sequence = np.asarray(sequence)
    if sequence.ndim != 2:
        raise ValueError(f"sequence must be (T, C), got shape {sequence.shape}")
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be >= 1, got {window} and {stride}")
    if sequence.shape[0] < window:
        return np.zeros((0, window, sequence.shape[1]), dtype=sequence.dtype)
    views = np.lib.stride_tricks.sliding_window_view(sequence, window, axis=0)  # (T - w + 1, C, w)
    return views[::stride].transpose(0, 2, 1)


def window_frames(seconds: float, fps: float) -> int:
    """Frames of a window of ``seconds`` at ``fps`` (rounded, at least 2)."""
    return max(2, int(round(seconds * fps)))
