"""Spectral audio features on analysis windows centred exactly on the motion frames.

Motion frame ``k`` is at ``k / fps`` seconds. At 16 kHz and 30 fps one frame is 533.33 samples, so a
fixed integer STFT hop (as ``librosa.stft`` needs) would drift by a full motion frame per minute.
Instead each window is centred on its own rounded sample ``round(k * sr / fps)``; the signal is
reflect-padded so windows at the edges exist. Everything downstream (power spectrum, mel, MFCC,
energy, YIN) works on this ``(F, frame_length)`` stack at once.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.fft
import scipy.signal

from motiongen.features.recipe import AudioRecipe, MelSpec


def num_frames_for(num_samples: int, sample_rate: int, fps: float) -> int:
    """Motion frames whose centre ``k / fps`` lies inside audio of ``num_samples`` samples."""
    return int(np.ceil(num_samples * fps / sample_rate - 1e-9))


def frame_centres(num_frames: int, sample_rate: int, fps: float) -> np.ndarray:
    """``(F,)`` int64 sample index of each motion frame's centre, ``round(k * sample_rate / fps)``."""
    return np.rint(np.arange(num_frames) * (sample_rate / fps)).astype(np.int64)


def frame_signal(wave: np.ndarray, centres: np.ndarray, frame_length: int) -> np.ndarray:
    """Cut ``(F, frame_length)`` windows of a mono wave centred on ``centres`` (sample indices).

    The wave is reflect-padded by half a window (constant zeros where it is shorter than that),
    and centres beyond its end see zeros, so any requested frame exists.
    """
    half = frame_length // 2
    mode = "reflect" if len(wave) > half else "constant"
    padded = np.pad(wave.astype(np.float32, copy=False), (half, half), mode=mode)
    needed = (int(centres[-1]) if len(centres) else 0) + frame_length - len(padded)
    if needed > 0:
        padded = np.pad(padded, (0, needed), mode="constant")
    # Centre c of the wave is index c + half of `padded`, so its window starts at index c.
    return np.lib.stride_tricks.sliding_window_view(padded, frame_length)[centres]


@lru_cache(maxsize=16)
def _hann(frame_length: int) -> np.ndarray:
    """Periodic Hann window (as librosa's STFT uses), float32."""
    return scipy.signal.get_window("hann", frame_length, fftbins=True).astype(np.float32)


@lru_cache(maxsize=16)
def mel_filterbank(sample_rate: int, n_fft: int, spec: MelSpec) -> np.ndarray:
    """``(n_mels, n_fft // 2 + 1)`` float32 Slaney-normalised mel filterbank (librosa's)."""
    import librosa

    return librosa.filters.mel(
        sr=sample_rate, n_fft=n_fft, n_mels=spec.n_mels, fmin=spec.fmin, fmax=spec.fmax
    ).astype(np.float32)


def power_spectrum(frames: np.ndarray) -> np.ndarray:
    """``(F, frame_length // 2 + 1)`` float32 power spectrum of Hann-windowed frames."""
    window = _hann(frames.shape[1])
    spectrum = scipy.fft.rfft(frames * window, axis=1)
    return (spectrum.real**2 + spectrum.imag**2).astype(np.float32)


def log_mel(power: np.ndarray, recipe: AudioRecipe, spec: MelSpec) -> np.ndarray:
    """``(F, n_mels)`` float32 log-mel in dB: ``10 log10(max(mel power, amin))``, reference 1.0."""
    fb = mel_filterbank(recipe.sample_rate, recipe.frame_length, spec)
    mel = power @ fb.T
    return (10.0 * np.log10(np.maximum(mel, recipe.mel_amin))).astype(np.float32)


def mfcc_from_log_mel(log_mel_db: np.ndarray, n_mfcc: int) -> np.ndarray:
    """``(F, n_mfcc)`` float32 MFCCs: orthonormal DCT-II over the mel axis, first ``n_mfcc``."""
    return scipy.fft.dct(log_mel_db, type=2, norm="ortho", axis=1)[:, :n_mfcc].astype(np.float32)


def rms_energy_db(frames: np.ndarray, floor_db: float) -> np.ndarray:
    """``(F,)`` float32 RMS level of each (unwindowed) frame in dB re full scale, floored."""
    rms = np.sqrt(np.mean(np.square(frames, dtype=np.float32), axis=1))
    floor = 10.0 ** (floor_db / 20.0)
    return (20.0 * np.log10(np.maximum(rms, floor))).astype(np.float32)
