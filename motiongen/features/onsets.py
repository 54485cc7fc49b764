"""Acoustic onsets as a per-motion-frame flag.

Onset strength is librosa's spectral flux of a log-mel spectrogram (``librosa.onset.onset_strength``)
at a 10 ms hop, which is centred so that envelope frame ``i`` is at ``i * hop / sr`` seconds. Peaks
are picked as librosa's ``onset_detect`` does (normalise to [0, 1], keep local maxima that rise
``delta`` above the local mean, at least ``wait`` seconds apart) but with ``scipy.signal.find_peaks``:
``librosa.util.peak_pick`` is a numba gufunc that crashes the interpreter (segfault) with the numba
0.68 / numpy 2.4 pair this project installs. Each onset sets the flag of the motion frame nearest
to it.
"""

from __future__ import annotations

import numpy as np
import scipy.signal

from motiongen.features.recipe import OnsetSpec


def onset_envelope(wave: np.ndarray, sample_rate: int, spec: OnsetSpec) -> np.ndarray:
    """``(E,)`` float64 onset strength, envelope frame ``i`` at ``i * hop / sr`` seconds (empty when
    the wave is shorter than ``n_fft``)."""
    import librosa

    if len(wave) < spec.n_fft:
        return np.zeros(0)
    return librosa.onset.onset_strength(
        y=wave, sr=sample_rate, hop_length=spec.hop_length, n_fft=spec.n_fft, n_mels=spec.n_mels,
        pad_mode="reflect",  # zero padding would make the start of every recording an "onset"
    ).astype(np.float64)


def pick_onsets(envelope: np.ndarray, sample_rate: int, spec: OnsetSpec, low: float | None = None,
                high: float | None = None) -> np.ndarray:
    """Envelope frames of the onsets: local maxima of the envelope normalised to [0, 1] by
    ``low``/``high`` (default: its own minimum and maximum) that rise ``delta`` above the local mean
    and lie ``wait`` seconds apart. Returns ``(K,)`` int indices, ascending."""
    if len(envelope) == 0:
        return np.zeros(0, dtype=np.int64)
    low = envelope.min() if low is None else low
    span = (envelope.max() if high is None else high) - low
    if span <= 0:
        return np.zeros(0, dtype=np.int64)
    envelope = (envelope - low) / span
    frames_per_second = sample_rate / spec.hop_length
    pre = int(round(spec.pre_avg * frames_per_second))
    post = int(round(spec.post_avg * frames_per_second))
    index = np.arange(len(envelope))
    cumulative = np.concatenate([[0.0], np.cumsum(envelope)])
    lo = np.maximum(index - pre, 0)
    hi = np.minimum(index + post + 1, len(envelope))
    local_mean = (cumulative[hi] - cumulative[lo]) / (hi - lo)
    peaks, _ = scipy.signal.find_peaks(
        envelope,
        height=local_mean + spec.delta,
        distance=max(1, int(round(spec.wait * frames_per_second))),
    )
    return peaks


def onset_times(wave: np.ndarray, sample_rate: int, spec: OnsetSpec) -> np.ndarray:
    """``(K,)`` float64 onset times in seconds, ascending."""
    return pick_onsets(onset_envelope(wave, sample_rate, spec), sample_rate, spec) * (spec.hop_length / sample_rate)


def onset_flags(times: np.ndarray, num_frames: int, fps: float) -> np.ndarray:
    """``(num_frames, 1)`` float32: 1 on the frame nearest to each onset time, else 0."""
    flags = np.zeros((num_frames, 1), dtype=np.float32)
    frames = np.rint(np.asarray(times) * fps).astype(np.int64)
    flags[frames[(frames >= 0) & (frames < num_frames)], 0] = 1.0
    return flags
