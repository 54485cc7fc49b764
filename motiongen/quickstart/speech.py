"""Speech analysis that drives the procedural motion: loudness envelope and emphasis events.

Both are computed from the synthesised audio and eSpeak NG's phoneme events, i.e. from exactly
what the model later sees (audio features + word timings), so the motion they drive is learnable.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from motiongen.formats.textgrid import Interval

ENVELOPE_HOP_S = 0.005  # 5 ms analysis hop, interpolated to the motion frame rate
_PRIMARY_STRESS = "'"


def rms_envelope(wave: np.ndarray, sample_rate: int, fps: float, num_frames: int) -> np.ndarray:
    """Loudness envelope in [0, 1] sampled at ``fps``.

    RMS over 20 ms windows every 5 ms (``librosa.feature.rms``), divided by the 95th percentile of
    the frames above 1 % of the peak (so one loud syllable does not flatten the rest), clipped to
    [0, 1] and linearly interpolated to the frame centres ``(i + 0.5) / fps``.

    Args:
        wave: (S,) mono float samples.
        sample_rate: Hz.
        fps: output frames per second.
        num_frames: number of output frames F.

    Returns:
        (F,) float32.
    """
    import librosa

    hop = max(1, int(round(ENVELOPE_HOP_S * sample_rate)))
    rms = librosa.feature.rms(y=np.asarray(wave, np.float32), frame_length=4 * hop, hop_length=hop, center=True)[0]
    active = rms[rms > 0.01 * rms.max()] if rms.max() > 0 else rms
    scale = np.percentile(active, 95) if active.size else 1.0
    level = np.clip(rms / max(scale, 1e-8), 0.0, 1.0)
    times = np.arange(len(rms)) * hop / sample_rate
    return np.interp((np.arange(num_frames) + 0.5) / fps, times, level).astype(np.float32)


def emphasis_events(phones: list[Interval], envelope: np.ndarray, fps: float,
                    min_gap_s: float = 0.4, min_strength: float = 0.55) -> tuple[np.ndarray, np.ndarray]:
    """Times and strengths of emphasised syllables.

    A candidate is every phone eSpeak NG marks with primary stress (label starting with ``'``);
    its strength is the envelope's maximum over the phone. Candidates weaker than
    ``min_strength`` are dropped, and of candidates closer than ``min_gap_s`` the stronger wins
    (greedy, strongest first).

    Args:
        phones: phone intervals in seconds.
        envelope: (F,) loudness in [0, 1] at ``fps``.

    Returns:
        times (E,) seconds (sorted) and strengths (E,) in [0, 1].
    """
    stressed = [p for p in phones if p.label.startswith(_PRIMARY_STRESS)]
    if not stressed:
        return np.zeros(0), np.zeros(0)
    starts = np.array([p.start for p in stressed])
    first = np.clip((starts * fps).astype(int), 0, len(envelope) - 1)
    last = np.clip((np.array([p.end for p in stressed]) * fps).astype(int) + 1, first + 1, len(envelope))
    peak = np.array([envelope[a:b].max() for a, b in zip(first, last)])
    keep: list[int] = []
    for i in np.argsort(-peak, kind="stable"):
        if peak[i] < min_strength:
            break
        if all(abs(starts[i] - starts[j]) >= min_gap_s for j in keep):
            keep.append(int(i))
    keep.sort()
    return starts[keep], peak[keep].astype(np.float64)


def bump_train(num_frames: int, fps: float, times: np.ndarray, heights: np.ndarray, width_s: float) -> np.ndarray:
    """Sum of Gaussian bumps (sigma ``width_s``) centred at ``times`` with the given heights, (F,)."""
    impulses = np.zeros(num_frames)
    frames = np.clip(np.round(np.asarray(times) * fps).astype(int), 0, max(num_frames - 1, 0))
    np.add.at(impulses, frames, heights)
    return gaussian_filter1d(impulses, width_s * fps, mode="constant") * (width_s * fps * np.sqrt(2 * np.pi))
