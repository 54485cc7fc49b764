"""Fundamental frequency (F0) with a voicing decision: YIN, vectorised over all frames at once.

Why not librosa: ``librosa.pyin`` gives F0 and voicing but costs about 6.4 s per minute of 16 kHz
audio on one core (measured: 1.07 s for 10 s with the settings of ``conf/data/features``) — four
times the whole preprocessing budget of 1.5 s per minute; ``librosa.yin`` is fast but returns no
voicing decision (it always reports some F0) and needs an integer hop, which cannot sit on 30 fps
frame centres at 16 kHz. This module runs the YIN algorithm (de Cheveigné & Kawahara, 2002: steps
1-5, difference function by FFT) on the same frame-centred windows as the spectral features.
"""

from __future__ import annotations

import numpy as np
import scipy.fft


def yin(
    frames: np.ndarray,
    sample_rate: int,
    f0_min: float,
    f0_max: float,
    threshold: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Estimate F0 per frame.

    Args:
        frames: ``(F, W)`` float32 analysis windows; ``W`` must hold two periods of ``f0_min``.
        sample_rate: Hz.
        f0_min, f0_max: search range in Hz.
        threshold: a frame is voiced when the cumulative-mean-normalised difference dips below it.

    Returns:
        ``(f0, voiced)``: ``(F,)`` float32 F0 in Hz (0 where unvoiced) and ``(F,)`` bool.
    """
    num_frames, width = frames.shape
    tau_min = max(1, int(np.floor(sample_rate / f0_max)))
    tau_max = int(np.ceil(sample_rate / f0_min))
    window = width - tau_max - 1  # integration window; lags up to tau_max + 1 stay inside the frame
    if window <= tau_max // 2:
        raise ValueError(f"frames of {width} samples are too short for f0_min={f0_min} Hz at {sample_rate} Hz")
    if num_frames == 0:
        return np.zeros(0, np.float32), np.zeros(0, bool)
    x = frames.astype(np.float32, copy=False)  # float32 FFTs: 2x faster than float64, same decisions on BEAT speech

    # d(tau) = sum_j (x_j - x_{j+tau})^2 = E(0) + E(tau) - 2 r(tau), j = 0 .. window-1.
    n_fft = scipy.fft.next_fast_len(width + window)
    head = scipy.fft.rfft(x[:, :window], n=n_fft, axis=1)
    full = scipy.fft.rfft(x, n=n_fft, axis=1)
    cross = scipy.fft.irfft(np.conj(head) * full, n=n_fft, axis=1)[:, : tau_max + 2]
    energy = np.concatenate([np.zeros((num_frames, 1)), np.cumsum(x * x, axis=1)], axis=1)
    taus = np.arange(tau_max + 2)
    shifted_energy = energy[:, taus + window] - energy[:, taus]
    diff = np.maximum(energy[:, [window]] + shifted_energy - 2.0 * cross, 0.0)

    # Cumulative mean normalised difference d'(tau) = d(tau) * tau / sum_{1..tau} d.
    running = np.cumsum(diff[:, 1:], axis=1)
    cmnd = np.ones_like(diff)
    np.divide(diff[:, 1:] * taus[1:], running, out=cmnd[:, 1:], where=running > 1e-12)

    # First lag in range below the threshold whose next lag is not lower (bottom of the first dip).
    lags = cmnd[:, tau_min : tau_max + 1]
    following = cmnd[:, tau_min + 1 : tau_max + 2]
    candidate = (lags < threshold) & (lags <= following)
    voiced = candidate.any(axis=1)
    best = tau_min + candidate.argmax(axis=1)

    # Parabolic interpolation around the chosen lag.
    rows = np.arange(num_frames)
    left, centre, right = cmnd[rows, best - 1], cmnd[rows, best], cmnd[rows, best + 1]
    curvature = left - 2.0 * centre + right
    shift = np.zeros(num_frames)
    np.divide(0.5 * (left - right), curvature, out=shift, where=np.abs(curvature) > 1e-12)
    period = best + np.clip(shift, -1.0, 1.0)
    f0 = np.where(voiced, sample_rate / period, 0.0)
    return f0.astype(np.float32), voiced
